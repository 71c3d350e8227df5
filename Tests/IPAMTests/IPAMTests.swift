import Addressing
import CNI
import Foundation
import Identity
import JSON
import KV
import KVMemory
import Testing
@testable import IPAM

/// The keys of the `ipam` section left to the caller; these tests read none of them.
struct NoExtra: Decodable {}

func config(_ json: String) throws -> IPAMConfig {
    try IPAMConfig.decode(networkConfig: Array("{\"ipam\": \(json)}".utf8), with: NoExtra.self).0
}

func attachment(_ id: String, _ ifname: String = "eth0") -> Identity.Attachment {
    Identity.Attachment(containerID: ContainerID(id)!, interface: InterfaceName(ifname)!)
}

let net = NetworkName("testnet")!

@Suite struct ConfigParsing {
    @Test func legacyFormGetsHostLocalDefaults() throws {
        let c = try config(#"{"type":"kv-ipam","subnet":"10.250.1.0/24"}"#)
        let range = try #require(c.rangeSets.first?.ranges.first)
        #expect(range.start == IPAddress("10.250.1.1"))
        #expect(range.end == IPAddress("10.250.1.254"))
        #expect(range.gateway == IPAddress("10.250.1.1"))
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

    @Test func everyHostLocalKeyIsKnownAndMisspeltOnesAreNamed() throws {
        let full = """
            {"type": "kv-ipam", "subnet": "10.250.1.0/24", "rangeStart": "10.250.1.10", "rangeEnd": "10.250.1.20",
             "gateway": "10.250.1.1", "dataDir": "/tmp/x", "resolvConf": "/etc/resolv.conf",
             "ranges": [[{"subnet": "10.250.2.0/24", "rangeStart": "10.250.2.5", "rangeEnd": "10.250.2.9", "gateway": "10.250.2.1"}]],
             "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.1.1", "mtu": 1400, "advmss": 1360, "priority": 5, "table": 7, "scope": 0}]}
            """
        #expect(try config(full).rangeSets.count == 2)
        #expect(IPAMConfig.configKeys.unknownKeys(in: try JSONCodec.document(from: Array(full.utf8))).isEmpty)

        let misspelt = #"{"type": "kv-ipam", "ranges": [[{"subnet": "10.250.2.0/24", "rangestart": "10.250.2.5"}]], "routes": [{"dst": "0.0.0.0/0", "gateway": "10.250.2.1"}]}"#
        #expect(IPAMConfig.configKeys.unknownKeys(in: try JSONCodec.document(from: Array(misspelt.utf8)))
            == ["ranges[0][0].rangestart", "routes[0].gateway"])
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
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
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
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        let first = try leases.acquire(for: attachment("a"), from: sets)
        #expect(try leases.acquire(for: attachment("a"), from: sets) == first)
        #expect(try leases.acquire(for: attachment("a", "eth1"), from: sets) != first)
    }

    @Test func aResolvConfThatCannotBeReadFailsTheAddWithNothingLeased() throws {
        let store = MemoryStore()
        let directory = FileManager.default.temporaryDirectory.path
        let network = NetworkConfig(cniVersion: .v1_0_0, name: net, type: "kv-ipam")
        for path in ["\(directory)/missing-\(UUID().uuidString)", "/dev/zero", directory] {
            let ipam = try config(#"{"subnet":"10.250.1.0/24","resolvConf":"\#(path)"}"#)
            let service = IPAMService(config: ipam, network: net, store: store)
            #expect {
                _ = try service.add(attachment("a"), args: CNIArgs(), network: network)
            } throws: { error in
                guard case IPAMError.invalidConfig(let text) = error else { return false }
                return text.hasPrefix("resolvConf cannot be read: \(path)")
            }
            #expect(try LeaseManager(store: store, network: net).addresses(of: attachment("a")).isEmpty)
        }
    }

    @Test func dualStackLeasesOneAddressPerRangeSet() throws {
        let sets = try config(#"{"ranges":[[{"subnet":"10.250.1.0/24"}],[{"subnet":"fd00:250::/64"}]]}"#).rangeSets
        let leased = try LeaseManager(store: MemoryStore(), network: net).acquire(for: attachment("a"), from: sets)
        #expect(leased.map(\.interfaceAddress.description) == ["10.250.1.2/24", "fd00:250::2/64"])
    }

    @Test func requestedAddressesAreHonouredOrRefusedWithNothingLeased() throws {
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24","rangeEnd":"10.250.1.100"}"#).rangeSets
        #expect(try leases.acquire(for: attachment("a"), from: sets, requested: [IPAddress("10.250.1.50")!])
                    .map(\.address) == [IPAddress("10.250.1.50")!])
        #expect(throws: IPAMError.addressInUse(IPAddress("10.250.1.50")!, owner: "testnet/a/eth0")) {
            try leases.acquire(for: attachment("b"), from: sets, requested: [IPAddress("10.250.1.50")!])
        }
        for refused in ["10.250.1.1", "10.250.1.200", "10.99.0.1"] {
            #expect(throws: IPAMError.self) {
                try leases.acquire(for: attachment("c"), from: sets, requested: [IPAddress(refused)!])
            }
        }
        #expect(try LeaseRecords(store: store).leases(on: net).map(\.attachment.attachment) == [attachment("a")])
        #expect(try store.range(prefix: "ipam/testnet/ips/").kvs.count == 1)
    }

    @Test func exhaustionIsReportedAndRollsBack() throws {
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/30"}"#).rangeSets
        _ = try leases.acquire(for: attachment("a"), from: sets)
        #expect(throws: IPAMError.exhausted(rangeSet: "10.250.1.1-10.250.1.2")) {
            try leases.acquire(for: attachment("b"), from: sets)
        }
    }

    @Test func garbageCollectionKeepsOnlyValidAttachments() throws {
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        for id in ["a", "b", "c"] { _ = try leases.acquire(for: attachment(id), from: sets) }
        let released = try leases.releaseAll(except: [attachment("b")])
        #expect(Set(released) == Set([attachment("a"), attachment("c")]))
        #expect(try LeaseRecords(store: store).leases(on: net).map(\.attachment.attachment) == [attachment("b")])
        #expect(try store.range(prefix: "ipam/testnet/ips/").kvs.map(\.string) == ["testnet/b/eth0"])
    }

    @Test func garbageCollectionRemovesAddressKeysThatNoValidLeaseExplains() throws {
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        for id in ["a", "b", "c"] { _ = try leases.acquire(for: attachment(id), from: sets) }
        // a's owner key damaged: its DEL finds no address to release, and leaves a's address key.
        try store.put("ipam/testnet/owners/a/eth0", "garbage")
        try leases.release(attachment("a"))
        // c lost its owner key but is valid: its address may be in use.
        try store.delete("ipam/testnet/owners/c/eth0")
        try store.put("ipam/testnet/owners/bad key", "10.250.1.9")
        try store.put("ipam/testnet/ips/not-an-address", "b\neth0")
        try store.put("ipam/testnet/ips/10.250.1.9", "garbage")
        #expect(try store.range(prefix: "ipam/testnet/ips/").kvs.count == 5)

        #expect(try leases.releaseAll(except: [attachment("b"), attachment("c")]).isEmpty)
        #expect(try store.range(prefix: "ipam/testnet/ips/").kvs.map(\.string) == ["testnet/b/eth0", "testnet/c/eth0"])
        #expect(try store.range(prefix: "ipam/testnet/owners/").kvs.map(\.key) == ["ipam/testnet/owners/b/eth0"])
        #expect(try leases.acquire(for: attachment("d"), from: sets).map(\.address) == [IPAddress("10.250.1.5")!])
    }

    /// Stores written before the canonical text name an address's holder as `<containerID>\n<ifname>`.
    @Test func addressKeysInTheEarlierFormStillNameTheirHolder() throws {
        let store = MemoryStore()
        let leases = LeaseManager(store: store, network: net)
        let sets = try config(#"{"subnet":"10.250.1.0/24"}"#).rangeSets
        let address = try #require(try leases.acquire(for: attachment("a"), from: sets).first?.address)
        try store.put("ipam/testnet/ips/\(address)", "a\neth0")
        #expect(throws: IPAMError.addressInUse(address, owner: "testnet/a/eth0")) {
            try leases.acquire(for: attachment("b"), from: sets, requested: [address])
        }
        #expect(try leases.releaseAll(except: [attachment("a")]).isEmpty)
        #expect(try store.get("ipam/testnet/ips/\(address)") != nil)
        #expect(try leases.release(attachment("a")) == [address])
        #expect(try store.range(prefix: "ipam/testnet/ips/").kvs.isEmpty)
    }

    @Test func concurrentCallersNeverHandOutOneAddressTwice() throws {
        let store = MemoryStore()
        let sets = try config(#"{"subnet":"10.250.0.0/16"}"#).rangeSets
        let workers = 8, perWorker = 20
        let results = LockedArray<IPAddress>()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
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

@Suite struct LeaseKeyTests {
    /// An interface name may begin with a combining mark, which would join the `/` before it.
    @Test func ownerKeysParseBackWhateverTheInterfaceName() {
        let keys = LeaseKeys(network: net)
        for owner in [attachment("c1"), attachment("c1", "\u{301}h0")] {
            #expect(keys.attachment(fromOwnerKey: keys.owner(owner)) == owner)
        }
    }
}
