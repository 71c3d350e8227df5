import Addressing
import CNI
import CNIClient
import Foundation
import Identity
import JSON
import Testing

/// The next plugin's stdin, read back by Foundation's decoder (not ours, which wrote it).
private struct ChainedStdin: Decodable, Equatable {
    struct PrevResult: Decodable, Equatable {
        struct IP: Decodable, Equatable {
            var version: String?
            var address: String
        }

        var cniVersion: String
        var ips: [IP]
    }

    var cniVersion: String
    var name: String
    var type: String
    var mtu: Int?
    var prevResult: PrevResult?
}

@Suite struct PluginChainTests {
    let network = NetworkName("chain-net")!
    let previous = CNIResult(ips: [.init(address: InterfaceAddress("10.250.3.2/24")!, gateway: IPAddress("10.250.3.1"))])

    private func plugin(_ json: String) throws -> JSONValue { try JSONParser.parse(Array(json.utf8)) }

    private func decoded(_ stdin: [UInt8]) throws -> ChainedStdin { try JSONDecoder().decode(ChainedStdin.self, from: Data(stdin)) }

    @Test func theListsNameAndVersionReplaceThePluginsAndItsKeysStay() throws {
        let stdin = try PluginChain.stdin(for: plugin(#"{"type": "bridge", "mtu": 1400, "name": "other", "cniVersion": "0.3.0"}"#),
                                          network: network, cniVersion: .v1_0_0, prevResult: nil)
        #expect(try decoded(stdin) == ChainedStdin(cniVersion: "1.0.0", name: "chain-net", type: "bridge", mtu: 1400))
        #expect(try NetworkConfig.decode(from: stdin).prevResult == nil)
    }

    @Test func prevResultIsWrittenInTheListsVersion() throws {
        let old = try PluginChain.stdin(for: plugin(#"{"type": "portmap"}"#), network: network, cniVersion: .v0_3_1,
                                        prevResult: previous)
        #expect(try decoded(old).prevResult == .init(cniVersion: "0.3.1", ips: [.init(version: "4", address: "10.250.3.2/24")]))
        let current = try PluginChain.stdin(for: plugin(#"{"type": "portmap", "prevResult": {}}"#), network: network,
                                            cniVersion: .v1_1_0, prevResult: previous)
        #expect(try decoded(current).prevResult == .init(cniVersion: "1.1.0", ips: [.init(address: "10.250.3.2/24")]))
        #expect(try NetworkConfig.decode(from: current).prevResult == previous)
    }

    @Test func aPluginThatIsNotAnObjectIsCode7() throws {
        let error = #expect(throws: CNIError.self) {
            try PluginChain.stdin(for: plugin(#"["bridge"]"#), network: network, cniVersion: .v1_0_0, prevResult: nil)
        }
        #expect(error?.code == .invalidNetworkConfig)
    }
}
