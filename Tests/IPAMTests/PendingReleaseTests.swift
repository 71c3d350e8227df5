import Addressing
import KV
import KVMemory
import Testing
@testable import IPAM

/// A DEL that cannot reach the shared store: recorded on the host, the address still held, and
/// released by the next run that reaches the store.
@Suite struct PendingReleaseTests {
    let sets = try! config(#"{"subnet":"10.77.0.0/24"}"#).rangeSets
    let keys = LeaseKeys(network: net)

    func service(_ shared: EtcdLikeStore, host: MemoryStore, hostID: String = "a") throws -> IPAMService {
        IPAMService(config: try config(#"{"subnet":"10.77.0.0/24"}"#), network: net, store: shared, hostID: hostID,
                    pending: PendingReleases(network: net, openExisting: { host }, open: { host }))
    }

    @Test func aDelWhileTheStoreIsDownIsCompletedByTheNextRunThatReachesIt() throws {
        let shared = EtcdLikeStore(), host = MemoryStore()
        let ipam = try service(shared, host: host)
        let held = try ipam.leases.acquire(for: attachment("x"), from: sets)[0].address

        shared.down = true
        try ipam.del(attachment("x"))
        try ipam.del(attachment("x"))
        shared.down = false
        #expect(try host.range(prefix: keys.pendings).kvs.map(\.key) == [keys.pending(attachment("x"))])
        #expect(try shared.get(keys.owner(attachment("x"))) != nil, "the address stays held meanwhile")
        let other = try service(shared, host: MemoryStore(), hostID: "b")
        #expect(throws: IPAMError.self) { try other.leases.acquire(for: attachment("y"), from: sets, requested: [held]) }

        try ipam.gc(keeping: [attachment("z")])
        #expect(try shared.get(keys.owner(attachment("x"))) == nil)
        #expect(try shared.get(keys.address(held)) == nil)
        #expect(try host.range(prefix: keys.pendings).kvs.isEmpty)
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
        #expect(try host.range(prefix: keys.pendings).kvs.isEmpty)
    }

    @Test func withoutAHostStoreADelThatCannotReachTheStoreFails() throws {
        let shared = EtcdLikeStore()
        let ipam = IPAMService(config: try config(#"{"subnet":"10.77.0.0/24"}"#), network: net, store: shared, hostID: "a")
        _ = try ipam.leases.acquire(for: attachment("x"), from: sets)
        shared.down = true
        #expect(throws: KVError.self) { try ipam.del(attachment("x")) }
    }
}
