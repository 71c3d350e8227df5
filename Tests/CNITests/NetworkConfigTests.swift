import Addressing
import CNI
import Identity
import Testing

@Suite struct NetworkConfigTests {
    private func decode(_ json: String) throws -> NetworkConfig {
        try NetworkConfig.decode(from: Array(json.utf8))
    }

    private func failure(_ json: String) -> CNIError? {
        #expect(throws: CNIError.self) { try decode(json) }
    }

    @Test func decodesTheSharedKeysAndIgnoresUnknownOnes() throws {
        let config = try decode("""
            {
              "cniVersion": "1.0.0", "name": "lab-net", "type": "bridge", "ipMasq": true,
              "bridge": "br-test", "somethingElse": {"nested": [1, 2]},
              "ipam": {"type": "kv-ipam", "subnet": "10.250.0.0/24"},
              "dns": {"nameservers": ["10.250.0.1"], "search": ["lab"]},
              "runtimeConfig": {"ips": ["10.250.0.9/24"], "mac": "c2:11:22:33:44:55", "portMappings": []},
              "args": {"cni": {"ips": ["10.250.0.10"], "labels": []}}
            }
            """)
        #expect(config.cniVersion == .v1_0_0)
        #expect(config.name.rawValue == "lab-net")
        #expect(config.type == "bridge")
        #expect(config.ipMasq == true)
        #expect(config.ipamType == "kv-ipam")
        #expect(config.dns == CNIResult.DNS(nameservers: ["10.250.0.1"], search: ["lab"]))
        #expect(config.runtimeConfig == .init(ips: ["10.250.0.9/24"], mac: "c2:11:22:33:44:55"))
        #expect(config.args?.cni?.ips == ["10.250.0.10"])
        #expect(config.prevResult == nil)
        #expect(config.validAttachments == nil)
    }

    @Test func missingVersionIsTheUnsupported020() {
        let error = failure(#"{"name": "n", "type": "bridge"}"#)
        #expect(error?.code == .incompatibleVersion)
        #expect(error?.msg == "incompatible CNI versions")
        #expect(error?.details
            == #"config is "0.2.0", plugin supports ["0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]"#)
    }

    @Test(arguments: ["0.1.0", "0.2.0", "1.2.0", "1.0"])
    func unsupportedVersionIsCode1(version: String) {
        let error = failure(#"{"cniVersion": "\#(version)", "name": "n", "type": "bridge"}"#)
        #expect(error?.code == .incompatibleVersion)
        #expect(error?.details?.hasPrefix("config is \"\(version)\"") == true)
    }

    @Test func versionIsCheckedBeforeTheName() {
        #expect(failure(#"{"cniVersion": "0.2.0", "name": "bad name", "type": "bridge"}"#)?.code
            == .incompatibleVersion)
    }

    @Test func malformedJSONIsCode6WithLineAndColumn() {
        let error = failure("""
            {
              "cniVersion": "1.0.0",
              "name": "n"
              "type": "bridge"
            }
            """)
        #expect(error?.code == .decodingFailure)
        #expect(error?.msg == "failed to decode network config")
        #expect(error?.details == "invalid JSON: line 4, column 3: expected ',' or '}', found '\"'")
    }

    @Test func truncatedJSONIsCode6() {
        let error = failure(#"{"cniVersion": "1.0.0", "name": "n"#)
        #expect(error?.code == .decodingFailure)
        #expect(error?.details?.contains("line 1, column 35") == true)
    }

    @Test func wrongTypesAreCode6NamingThePath() {
        let error = failure(#"{"cniVersion": "1.0.0", "name": "n", "type": "b", "runtimeConfig": {"ips": "10.0.0.1"}}"#)
        #expect(error?.code == .decodingFailure)
        #expect(error?.details?.hasPrefix("runtimeConfig.ips: ") == true)
        #expect(failure(#"[1, 2]"#)?.code == .decodingFailure)
        #expect(failure(#"{"cniVersion": 1, "name": "n", "type": "b"}"#)?.code == .decodingFailure)
    }

    @Test(arguments: ["bad name", "-dash", "a/b", ""])
    func badNetworkNameIsCode7(name: String) {
        let error = failure(#"{"cniVersion": "1.1.0", "name": "\#(name)", "type": "bridge"}"#)
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test func missingNameOrTypeIsCode7() {
        #expect(failure(#"{"cniVersion": "1.1.0", "type": "bridge"}"#)?.msg == "missing network name")
        #expect(failure(#"{"cniVersion": "1.1.0", "name": "n"}"#)?.msg == "missing plugin type")
    }

    @Test func prevResultIn031And100ShapesDecodeToTheSameModel() throws {
        let old = try decode("""
            {"cniVersion": "0.3.1", "name": "n", "type": "t", "prevResult": {
              "cniVersion": "0.3.1",
              "interfaces": [{"name": "eth0", "mac": "c2:11:22:33:44:55", "sandbox": "/run/netns/x"}],
              "ips": [{"version": "4", "address": "10.250.0.5/24", "gateway": "10.250.0.1", "interface": 0},
                      {"version": "6", "address": "fd00:250::5/64", "interface": 0}],
              "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.0.1"}],
              "dns": {}
            }}
            """)
        let new = try decode("""
            {"cniVersion": "1.0.0", "name": "n", "type": "t", "prevResult": {
              "cniVersion": "1.0.0",
              "interfaces": [{"name": "eth0", "mac": "c2:11:22:33:44:55", "sandbox": "/run/netns/x"}],
              "ips": [{"address": "10.250.0.5/24", "gateway": "10.250.0.1", "interface": 0},
                      {"address": "fd00:250::5/64", "interface": 0}],
              "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.0.1"}]
            }}
            """)
        let expected = CNIResult(
            interfaces: [.init(name: "eth0", mac: "c2:11:22:33:44:55", sandbox: "/run/netns/x")],
            ips: [.init(address: InterfaceAddress("10.250.0.5/24")!, gateway: IPAddress("10.250.0.1"), interface: 0),
                  .init(address: InterfaceAddress("fd00:250::5/64")!, interface: 0)],
            routes: [.init(dst: Subnet("0.0.0.0/0")!, gw: IPAddress("10.250.0.1"))])
        #expect(old.prevResult == expected)
        #expect(new.prevResult == expected)
    }

    @Test func emptyPrevResultIsAnEmptyResult() throws {
        #expect(try decode(#"{"cniVersion": "1.1.0", "name": "n", "type": "t", "prevResult": {}}"#).prevResult
            == CNIResult())
    }

    @Test(arguments: ["cni.dev/valid-attachments", "cni.dev/attachments"])
    func validAttachmentsUnderEitherKey(key: String) throws {
        let config = try decode("""
            {"cniVersion": "1.1.0", "name": "n", "type": "t",
             "\(key)": [{"containerID": "c1", "ifname": "eth0"}, {"containerID": "c2", "ifname": "net1"}]}
            """)
        #expect(config.validAttachments == [
            Identity.Attachment(containerID: ContainerID("c1")!, interface: InterfaceName("eth0")!),
            Identity.Attachment(containerID: ContainerID("c2")!, interface: InterfaceName("net1")!),
        ])
    }

    @Test func invalidAttachmentIsCode7NamingIt() {
        let error = failure("""
            {"cniVersion": "1.1.0", "name": "n", "type": "t",
             "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "way-too-long-name0"}]}
            """)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.details?.hasPrefix("cni.dev/valid-attachments[0].ifname: ") == true)
    }
}
