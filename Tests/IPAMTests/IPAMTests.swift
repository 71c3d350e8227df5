import Addressing
import CNI
import Foundation
import KV
import Testing
@testable import IPAM

/// A fresh store file in its own temporary directory, removed when the test ends.
final class TemporaryStore: @unchecked Sendable {
    let directory: String
    let store: SQLiteStore

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ipam-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: "\(directory)/store.db")
    }

    func openAnother() throws -> SQLiteStore { try SQLiteStore(path: "\(directory)/store.db") }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

func config(_ json: String) throws -> IPAMConfig {
    try IPAMConfig.decode(networkConfig: Array("{\"ipam\": \(json)}".utf8))
}

func attachment(_ id: String, _ ifname: String = "eth0") -> CNI.Attachment {
    CNI.Attachment(containerID: ContainerID(id)!, interface: InterfaceName(ifname)!)
}

let net = NetworkName("testnet")!

@Suite struct ConfigParsing {
    @Test func legacyFormGetsHostLocalDefaults() throws {
        let c = try config(#"{"type":"kv-ipam","subnet":"10.250.1.0/24"}"#)
        let range = try #require(c.rangeSets.first?.ranges.first)
        #expect(range.start == IPAddress("10.250.1.1"))
        #expect(range.end == IPAddress("10.250.1.254"))
        #expect(range.gateway == IPAddress("10.250.1.1"))
        #expect(c.dataDir == IPAMConfig.defaultDataDir)
    }

    @Test func ipv6RangeEndsAtTheLastAddress() throws {
        let c = try config(#"{"ranges":[[{"subnet":"fd00:250::/120"}]]}"#)
        #expect(c.rangeSets[0].ranges[0].end == IPAddress("fd00:250::ff"))
    }

    @Test(arguments: [
        (#"{"subnet":"10.250.1.0/31"}"#, "too small"),
        (#"{"subnet":"10.250.1.5/24"}"#, "host bits"),
        (#"{"subnet":"10.250.1.0/24","rangeStart":"10.250.2.1"}"#, "not inside"),
        (#"{"ranges":[[{"subnet":"10.250.1.0/24"}],[{"subnet":"10.250.0.0/16"}]]}"#, "overlap"),
        (#"{"ranges":[[{"subnet":"10.250.1.0/24"},{"subnet":"fd00::/64"}]]}"#, "mixes"),
        (#"{"subnet":"10.250.1.0/24","dataDir":"/var/lib/../../etc"}"#, "dataDir"),
        (#"{"subnet":"10.250.1.0/24","dataDir":"relative"}"#, "dataDir"),
        (#"{"type":"kv-ipam"}"#, "ranges"),
        (#"{"subnet":"10.250.1.0/24","routes":[{"dst":"nonsense"}]}"#, "routes[0].dst"),
    ])
    func invalidConfigsNameTheProblem(json: String, fragment: String) {
        #expect {
            _ = try config(json)
        } throws: { error in
            guard case IPAMError.invalidConfig(let text) = error else { return false }
            return text.contains(fragment)
        }
    }

    @Test func resolvConfIsParsed() {
        let dns = ResolvConf.parse("# comment\nnameserver 10.0.0.53\nnameserver fd00::53\nsearch a.example b.example\noptions ndots:2\n")
        #expect(dns.nameservers == ["10.0.0.53", "fd00::53"])
        #expect(dns.search == ["a.example", "b.example"])
        #expect(dns.options == ["ndots:2"])
    }
}

@Suite struct RoundRobin {
    @Test func walksFromAfterTheLastAndWraps() throws {
        let set = try config(#"{"subnet":"10.250.1.0/29"}"#).rangeSets[0]
        // .0 network, .1 gateway, .7 broadcast: .2 ... .6 remain.
        #expect(set.candidates(after: nil).map(\.0.description) == (2...6).map { "10.250.1.\($0)" })
        #expect(set.candidates(after: IPAddress("10.250.1.4")).map(\.0.description)
                == ["10.250.1.5", "10.250.1.6", "10.250.1.2", "10.250.1.3", "10.250.1.4"])
    }

    @Test func crossesRangesOfOneSet() throws {
        let set = try config(#"{"ranges":[[{"subnet":"10.250.1.0/30"},{"subnet":"10.250.2.0/30"}]]}"#).rangeSets[0]
        #expect(set.candidates(after: IPAddress("10.250.1.2")).map(\.0.description) == ["10.250.2.2", "10.250.1.2"])
    }
}

@Suite struct Leasing {
    @Test func leasesSkipTheGatewayAndDoNotReuseAtOnce() throws {
        let temp = try TemporaryStore()
        let leases = LeaseManager(store: temp.store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        let first = try leases.acquire(for: attachment("a"), from: sets)
        let second = try leases.acquire(for: attachment("b"), from: sets)
        #expect(first.map(\.address) == [IPAddress("10.250.1.2")!])
        #expect(second.map(\.address) == [IPAddress("10.250.1.3")!])
        try leases.release(attachment("a"))
        #expect(try leases.acquire(for: attachment("c"), from: sets).map(\.address) == [IPAddress("10.250.1.4")!])
        #expect(try leases.addresses(of: attachment("a")).isEmpty)
    }

    @Test func aRepeatedAddReusesTheLease() throws {
        let temp = try TemporaryStore()
        let leases = LeaseManager(store: temp.store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        let first = try leases.acquire(for: attachment("a"), from: sets)
        #expect(try leases.acquire(for: attachment("a"), from: sets) == first)
        #expect(try leases.acquire(for: attachment("a", "eth1"), from: sets) != first)
    }

    @Test func aResolvConfThatCannotBeReadFailsTheAddWithNothingLeased() throws {
        let temp = try TemporaryStore()
        let network = NetworkConfig(cniVersion: .v1_0_0, name: net, type: "kv-ipam")
        for path in ["\(temp.directory)/missing", "/dev/zero", temp.directory] {
            let ipam = try config(#"{"subnet":"10.250.1.0/24","resolvConf":"\#(path)"}"#)
            let service = IPAMService(config: ipam, network: net, store: temp.store)
            #expect {
                _ = try service.add(attachment("a"), args: CNIArgs(), network: network)
            } throws: { error in
                guard case IPAMError.invalidConfig(let text) = error else { return false }
                return text.hasPrefix("resolvConf cannot be read: \(path)")
            }
            #expect(try LeaseManager(store: temp.store, network: net).addresses(of: attachment("a")).isEmpty)
        }
    }

    @Test func dualStackLeasesOneAddressPerRangeSet() throws {
        let temp = try TemporaryStore()
        let sets = try config(#"{"ranges":[[{"subnet":"10.250.1.0/24"}],[{"subnet":"fd00:250::/64"}]]}"#).rangeSets
        let leased = try LeaseManager(store: temp.store, network: net).acquire(for: attachment("a"), from: sets)
        #expect(leased.map(\.interfaceAddress.description) == ["10.250.1.2/24", "fd00:250::2/64"])
    }

    @Test func requestedAddressesAreHonouredOrRefusedWithNothingLeased() throws {
        let temp = try TemporaryStore()
        let leases = LeaseManager(store: temp.store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24","rangeEnd":"10.250.1.100"}"#).rangeSets
        #expect(try leases.acquire(for: attachment("a"), from: sets, requested: [IPAddress("10.250.1.50")!])
                    .map(\.address) == [IPAddress("10.250.1.50")!])
        #expect(throws: IPAMError.addressInUse(IPAddress("10.250.1.50")!, owner: "a/eth0")) {
            try leases.acquire(for: attachment("b"), from: sets, requested: [IPAddress("10.250.1.50")!])
        }
        for refused in ["10.250.1.1", "10.250.1.200", "10.99.0.1"] {
            #expect(throws: IPAMError.self) {
                try leases.acquire(for: attachment("c"), from: sets, requested: [IPAddress(refused)!])
            }
        }
        #expect(try leases.attachments() == [attachment("a")])
        #expect(try temp.store.range(prefix: "ipam/testnet/ips/").kvs.count == 1)
    }

    @Test func exhaustionIsReportedAndRollsBack() throws {
        let temp = try TemporaryStore()
        let leases = LeaseManager(store: temp.store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/30"}"#).rangeSets
        _ = try leases.acquire(for: attachment("a"), from: sets)
        #expect(throws: IPAMError.exhausted(rangeSet: "10.250.1.1-10.250.1.2")) {
            try leases.acquire(for: attachment("b"), from: sets)
        }
    }

    @Test func garbageCollectionKeepsOnlyValidAttachments() throws {
        let temp = try TemporaryStore()
        let leases = LeaseManager(store: temp.store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        for id in ["a", "b", "c"] { _ = try leases.acquire(for: attachment(id), from: sets) }
        let released = try leases.releaseAll(except: [attachment("b")])
        #expect(Set(released) == Set([attachment("a"), attachment("c")]))
        #expect(try leases.attachments() == [attachment("b")])
        #expect(try temp.store.range(prefix: "ipam/testnet/ips/").kvs.map(\.string) == ["b\neth0"])
    }

    @Test func garbageCollectionRemovesAddressKeysThatNoValidLeaseExplains() throws {
        let temp = try TemporaryStore()
        let leases = LeaseManager(store: temp.store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        for id in ["a", "b", "c"] { _ = try leases.acquire(for: attachment(id), from: sets) }
        // a's owner key damaged: its DEL finds no address to release, and leaves a's address key.
        try temp.store.put("ipam/testnet/owners/a/eth0", "garbage")
        try leases.release(attachment("a"))
        // c lost its owner key but is valid: its address may be in use.
        try temp.store.delete("ipam/testnet/owners/c/eth0")
        try temp.store.put("ipam/testnet/owners/bad key", "10.250.1.9")
        try temp.store.put("ipam/testnet/ips/not-an-address", "b\neth0")
        try temp.store.put("ipam/testnet/ips/10.250.1.9", "garbage")
        #expect(try temp.store.range(prefix: "ipam/testnet/ips/").kvs.count == 5)

        #expect(try leases.releaseAll(except: [attachment("b"), attachment("c")]).isEmpty)
        #expect(try temp.store.range(prefix: "ipam/testnet/ips/").kvs.map(\.string) == ["b\neth0", "c\neth0"])
        #expect(try temp.store.range(prefix: "ipam/testnet/owners/").kvs.map(\.key) == ["ipam/testnet/owners/b/eth0"])
        #expect(try leases.acquire(for: attachment("d"), from: sets).map(\.address) == [IPAddress("10.250.1.5")!])
    }

    @Test func concurrentStoresNeverHandOutOneAddressTwice() throws {
        let temp = try TemporaryStore()
        let sets = try config(#"{"subnet":"10.250.0.0/16"}"#).rangeSets
        let workers = 8, perWorker = 20
        let results = LockedArray<IPAddress>()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            guard let store = try? temp.openAnother() else { return }
            let leases = LeaseManager(store: store, network: net)
            for n in 0..<perWorker {
                if let lease = try? leases.acquire(for: attachment("w\(worker)-\(n)"), from: sets) {
                    results.append(contentsOf: lease.map(\.address))
                }
            }
        }
        #expect(results.values.count == workers * perWorker)
        #expect(Set(results.values).count == workers * perWorker)
    }
}

final class LockedArray<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T] = []
    func append(contentsOf items: [T]) { lock.withLock { storage += items } }
    var values: [T] { lock.withLock { storage } }
}
