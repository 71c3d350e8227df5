import Addressing
import Foundation
import Identity
import KV
import KVMemory
import Testing
@testable import IPAM

/// A DEL that cannot reach the shared store: recorded on the host, the address still held, and
/// released by the next run that reaches the store.
@Suite final class PendingReleaseTests {
    let sets = try! config(#"{"subnet":"10.77.0.0/24"}"#).rangeSets
    let keys = LeaseKeys(network: net)
    /// The marker file of the host whose store is `host`, by the store's identity.
    let markers = FileManager.default.temporaryDirectory.path + "/ipamtests-pending-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: markers)
    }

    func marker(_ host: MemoryStore) -> String { markers + "/\(ObjectIdentifier(host).hashValue)" }

    func service(_ shared: EtcdLikeStore, host: MemoryStore, hostID: String = "a",
                 sharedStore: String = "one") throws -> IPAMService {
        IPAMService(config: try config(#"{"subnet":"10.77.0.0/24"}"#), network: net, store: shared, hostID: hostID,
                    pending: PendingReleases(network: net, sharedStore: sharedStore, markerPath: marker(host),
                                             openExisting: { host }, open: { host }))
    }

    func pending(_ host: MemoryStore) throws -> [String] {
        try host.range(prefix: PendingReleases.root).kvs.map(\.key)
    }

    @Test func aDelWhileTheStoreIsDownIsCompletedByTheNextRunThatReachesIt() throws {
        let shared = EtcdLikeStore(), host = MemoryStore()
        let ipam = try service(shared, host: host)
        let held = try ipam.leases.acquire(for: attachment("x"), from: sets)[0].address

        shared.down = true
        try ipam.del(attachment("x"))
        try ipam.del(attachment("x"))
        shared.down = false
        #expect(try pending(host).count == 1)
        #expect(try pending(host).allSatisfy { $0.hasSuffix("/\(net)/x/eth0") })
        #expect(FileManager.default.fileExists(atPath: marker(host)))
        #expect(try shared.get(keys.owner(attachment("x"))) != nil, "the address stays held meanwhile")
        let other = try service(shared, host: MemoryStore(), hostID: "b")
        #expect(throws: IPAMError.self) { try other.leases.acquire(for: attachment("y"), from: sets, requested: [held]) }

        try ipam.gc(keeping: [attachment("z")])
        #expect(try shared.get(keys.owner(attachment("x"))) == nil)
        #expect(try shared.get(keys.address(held)) == nil)
        #expect(try pending(host).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: marker(host)))
        let later = try service(shared, host: MemoryStore(), hostID: "b")
        #expect(try later.leases.acquire(for: attachment("y"), from: sets, requested: [held]).map(\.address) == [held])
    }

    @Test func aPendingReleaseIsCompletedBeforeTheNextDel() throws {
        let shared = EtcdLikeStore(), host = MemoryStore()
        let ipam = try service(shared, host: host)
        _ = try ipam.leases.acquire(for: attachment("x"), from: sets)
        _ = try ipam.leases.acquire(for: attachment("y"), from: sets)
        shared.down = true
        try ipam.del(attachment("x"))
        shared.down = false
        try ipam.del(attachment("y"))
        #expect(try shared.range(prefix: keys.owners).kvs.isEmpty)
        #expect(try pending(host).isEmpty)
    }

    @Test func withoutTheMarkerOnlyGCLooksForPendingReleases() throws {
        let shared = EtcdLikeStore(), host = MemoryStore()
        let ipam = try service(shared, host: host)
        _ = try ipam.leases.acquire(for: attachment("x"), from: sets)
        shared.down = true
        try ipam.del(attachment("x"))
        shared.down = false
        // A run that crashed between removing the marker and reading what is pending.
        try FileManager.default.removeItem(atPath: marker(host))
        try ipam.del(attachment("other"))
        #expect(try pending(host).count == 1)
        try ipam.gc(keeping: [attachment("x")])
        #expect(try pending(host).isEmpty)
        #expect(try shared.range(prefix: keys.owners).kvs.isEmpty)
    }

    @Test func anotherNetworksPendingReleaseKeepsTheMarker() throws {
        let shared = EtcdLikeStore(), host = MemoryStore()
        let ipam = try service(shared, host: host)
        let elsewhere = PendingReleases(network: NetworkName("othernet")!, sharedStore: "one", markerPath: marker(host),
                                        openExisting: { host }, open: { host })
        try elsewhere.record(attachment("y"))
        try ipam.del(attachment("x"))
        #expect(try pending(host).count == 1)
        #expect(try pending(host).allSatisfy { $0.hasSuffix("/othernet/y/eth0") })
        #expect(FileManager.default.fileExists(atPath: marker(host)))
    }

    @Test func aNetworkOfTheSameNameOnAnotherSharedStoreKeepsItsPendingRelease() throws {
        let one = EtcdLikeStore(), two = EtcdLikeStore(), host = MemoryStore()
        let first = try service(one, host: host, sharedStore: "one")
        let second = try service(two, host: host, sharedStore: "two")
        _ = try first.leases.acquire(for: attachment("x"), from: sets)
        _ = try second.leases.acquire(for: attachment("x"), from: sets)
        one.down = true
        two.down = true
        try first.del(attachment("x"))
        try second.del(attachment("x"))
        one.down = false
        #expect(try pending(host).count == 2, "the same attachment on two stores is two pending releases")

        try first.gc(keeping: [])
        #expect(try one.range(prefix: keys.owners).kvs.isEmpty)
        #expect(try pending(host).count == 1, "the other store's release waits for that store")
        two.down = false
        #expect(try two.get(keys.owner(attachment("x"))) != nil)
        try second.gc(keeping: [])
        #expect(try two.range(prefix: keys.owners).kvs.isEmpty)
        #expect(try pending(host).isEmpty)
    }

    @Test func withoutAHostStoreADelThatCannotReachTheStoreFails() throws {
        let shared = EtcdLikeStore()
        let ipam = IPAMService(config: try config(#"{"subnet":"10.77.0.0/24"}"#), network: net, store: shared, hostID: "a")
        _ = try ipam.leases.acquire(for: attachment("x"), from: sets)
        shared.down = true
        #expect(throws: KVError.self) { try ipam.del(attachment("x")) }
    }
}
