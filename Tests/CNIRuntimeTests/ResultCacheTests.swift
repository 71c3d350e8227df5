import Addressing
import CNI
import CNIRuntime
import Foundation
import Identity
import JSON
import Testing

@Suite struct ResultCacheTests {
    static let runtime = RuntimeConfig(containerID: ContainerID("c1")!, netns: "/run/netns/x", interface: InterfaceName("eth0")!,
                                       args: [("IgnoreUnknown", "1"), ("IP", "10.1.2.3")],
                                       capabilityArgs: ["portMappings": .array([.object(["hostPort": .number("8080")])])])

    /// An entry as libcni 1.1 writes it (podman's cache), with a 0.4.0 result.
    static let libcniEntry = #"""
        {"kind":"cniCacheV1","containerId":"abc","config":"eyJuYW1lIjoibmV0In0=","ifName":"eth1","networkName":"podman",\#
        "netns":"/run/netns/netns-1","cniArgs":[["K","V"]],\#
        "result":{"cniVersion":"0.4.0","interfaces":[{"name":"eth1","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/run/netns/netns-1"}],\#
        "ips":[{"version":"4","interface":0,"address":"10.88.0.5/16","gateway":"10.88.0.1"}]}}
        """#

    @Test func readsLibcnisEntries() throws {
        let entry = try CachedAttachment(parsing: Array(Self.libcniEntry.utf8))
        #expect(entry.network.rawValue == "podman")
        #expect(entry.runtime.containerID.rawValue == "abc")
        #expect(entry.runtime.interface.rawValue == "eth1")
        #expect(entry.runtime.netns == "/run/netns/netns-1")
        #expect(entry.runtime.args.map { [$0.key, $0.value] } == [["K", "V"]])
        #expect(String(decoding: entry.config, as: UTF8.self) == #"{"name":"net"}"#)
        #expect(entry.parsedResult?.ips.first?.address.description == "10.88.0.5/16")
    }

    @Test func writesTheKeysLibcniReadsAndLeavesEmptyOnesOut() throws {
        let entry = CachedAttachment(network: NetworkName("net")!, runtime: Self.runtime, config: Array(#"{"name":"net"}"#.utf8),
                                     result: .object(["cniVersion": .string("1.0.0")]))
        guard case .object(let members) = try JSONParser.parse(entry.encoded()) else { Issue.record("not an object"); return }
        #expect(Set(members.keys) == ["kind", "containerId", "config", "ifName", "networkName", "netns", "cniArgs", "capabilityArgs", "result"])
        #expect(members["kind"] == JSONValue.string("cniCacheV1"))
        #expect(members["config"] == JSONValue.string("eyJuYW1lIjoibmV0In0="))
        let pairs: JSONValue = .array([.array([.string("IgnoreUnknown"), .string("1")]), .array([.string("IP"), .string("10.1.2.3")])])
        #expect(members["cniArgs"] == pairs)

        var bare = Self.runtime
        bare.netns = nil
        bare.args = []
        bare.capabilityArgs = [:]
        guard case .object(let sparse) = try JSONParser.parse(CachedAttachment(network: NetworkName("net")!, runtime: bare, config: [],
                                                                              result: nil).encoded()) else { return }
        #expect(Set(sparse.keys) == ["kind", "containerId", "config", "ifName", "networkName"])
    }

    @Test func roundTripsThroughItsDirectoryUnderLibcnisFileName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netctl-cache-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = ResultCache(directory: directory)
        let network = NetworkName("net")!
        #expect(try cache.entry(network: network, attachment: Self.runtime.attachment) == nil)
        #expect(try cache.entries().isEmpty)
        try cache.store(CachedAttachment(network: network, runtime: Self.runtime, config: [1, 2, 3], result: nil))
        #expect(FileManager.default.fileExists(atPath: directory + "/results/net-c1-eth0"))
        let read = try #require(try cache.entry(network: network, attachment: Self.runtime.attachment))
        #expect(read.runtime == Self.runtime)
        #expect(read.config == [1, 2, 3])
        try "not an entry".write(toFile: directory + "/results/junk", atomically: true, encoding: .utf8)
        #expect(try cache.entries().map(\.attachmentID.text) == ["net/c1/eth0"])
        #expect(try cache.remove(network: network, attachment: Self.runtime.attachment))
        #expect(try !cache.remove(network: network, attachment: Self.runtime.attachment))
    }

    @Test func refusesForeignKinds() {
        #expect(throws: (any Error).self) {
            try CachedAttachment(parsing: Array(#"{"kind":"other","containerId":"a","ifName":"e","networkName":"n"}"#.utf8))
        }
    }
}
