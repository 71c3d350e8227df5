import Addressing
import CNI
import Identity
import KVMemory
import Testing
@testable import IPAM

@Suite struct LeaseRecordsTests {
    private let other = NetworkName("othernet")!

    /// Leases `ids` on `network`, dual-stack, in order.
    private func lease(_ ids: [String], on network: NetworkName, in store: MemoryStore) throws {
        let sets = try config(#"{"ranges":[[{"subnet":"10.250.1.0/24"}],[{"subnet":"fd00:250::/64"}]]}"#).rangeSets
        for id in ids {
            _ = try LeaseManager(store: store, network: network).acquire(for: attachment(id), from: sets)
        }
    }

    private func record(_ network: NetworkName, _ id: String, _ addresses: String...) -> LeaseRecord {
        LeaseRecord(attachment: AttachmentID(network: network, attachment: attachment(id)), addresses: addresses.map { IPAddress($0)! })
    }

    @Test func readsTheLeasesOfOneNetworkOrOfAll() throws {
        let store = MemoryStore()
        try lease(["b", "a"], on: net, in: store)
        try lease(["c"], on: other, in: store)
        let records = LeaseRecords(store: store)

        let a = record(net, "a", "10.250.1.3", "fd00:250::3")
        let b = record(net, "b", "10.250.1.2", "fd00:250::2")
        let c = record(other, "c", "10.250.1.2", "fd00:250::2")
        #expect(try records.leases(on: net) == [a, b])
        #expect(try records.leases(on: other) == [c])
        #expect(try records.all() == [c, a, b])
        #expect(try records.leases(on: NetworkName("empty")!) == [])
    }

    @Test func readsTheLeaseOfOneAttachment() throws {
        let store = MemoryStore()
        try lease(["a"], on: net, in: store)
        let records = LeaseRecords(store: store)

        #expect(try records.lease(of: attachment("a"), on: net) == record(net, "a", "10.250.1.2", "fd00:250::2"))
        #expect(try records.lease(of: attachment("a", "eth1"), on: net) == nil)
        #expect(try records.lease(of: attachment("a"), on: other) == nil)

        try LeaseManager(store: store, network: net).release(attachment("a"))
        #expect(try records.lease(of: attachment("a"), on: net) == nil)
        #expect(try records.all() == [])
    }

    @Test func anEmptyStoreHoldsNoLeases() throws {
        #expect(try LeaseRecords(store: MemoryStore()).all() == [])
    }
}

@Suite struct CallerKeys {
    private struct Location: Decodable, Equatable {
        var dataDir: String?
    }

    @Test func comeFromTheSameSection() throws {
        let json = #"{"dataDir": "/top", "ipam": {"subnet": "10.250.1.0/24", "dataDir": "/srv/leases"}}"#
        let (config, location) = try IPAMConfig.decode(networkConfig: Array(json.utf8), with: Location.self)
        #expect(config.rangeSets.count == 1)
        #expect(location == Location(dataDir: "/srv/leases"))
    }

    @Test func areReadOnlyOnceTheSectionIsValid() {
        struct Refusing: Decodable {
            init(from decoder: any Decoder) throws { Issue.record("decoded the caller's keys") }
        }
        #expect(throws: IPAMError.self) {
            try IPAMConfig.decode(networkConfig: Array(#"{"ipam": {"subnet": "nonsense"}}"#.utf8), with: Refusing.self)
        }
    }
}
