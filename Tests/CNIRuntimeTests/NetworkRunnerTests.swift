import Addressing
import CNI
@testable import CNIRuntime
import Identity
import JSON
import Testing

@Suite struct NetworkRunnerTests {
    static let list = try! NetworkConfigList(parsing: Array("""
        {"cniVersion":"0.4.0","name":"web","plugins":[
          {"type":"bridge","bridge":"br9","capabilities":{"mac":false}},
          {"type":"portmap","capabilities":{"portMappings":true}}]}
        """.utf8))
    static let runtime = RuntimeConfig(containerID: ContainerID("c1")!, netns: "/run/netns/x", interface: InterfaceName("eth0")!,
                                       args: [("K", "V")],
                                       capabilityArgs: ["portMappings": .array([]), "mac": .string("c2:11:22:33:44:55")])

    func stdin(_ plugin: Int, prevResult: CNIResult? = nil) throws -> [String: JSONValue] {
        let runner = NetworkRunner(searchPath: ["/nonexistent"])
        guard case .object(let members) = try JSONParser.parse(try runner.stdin(for: Self.list.plugins[plugin], of: Self.list, Self.runtime,
                                                                                prevResult: prevResult)) else { return [:] }
        return members
    }

    @Test func eachPluginGetsOnlyTheCapabilitiesItDeclares() throws {
        let bridge = try stdin(0)
        #expect(bridge["runtimeConfig"] == nil)
        #expect(bridge["name"] == JSONValue.string("web"))
        #expect(bridge["cniVersion"] == JSONValue.string("0.4.0"))
        #expect(bridge["bridge"] == JSONValue.string("br9"))
        let portmap = try stdin(1)
        #expect(portmap["runtimeConfig"] == JSONValue.object(["portMappings": .array([])]))
    }

    @Test func prevResultIsWrittenInTheListsVersion() throws {
        let result = CNIResult(interfaces: [.init(name: "eth0", mtu: 1500, sandbox: "/run/netns/x")],
                               ips: [.init(address: InterfaceAddress("10.1.0.2/24")!, interface: 0)])
        guard case .object(let prev)? = try stdin(1, prevResult: result)["prevResult"],
              case .array(let ips)? = prev["ips"], case .object(let ip)? = ips.first,
              case .array(let interfaces)? = prev["interfaces"], case .object(let interface)? = interfaces.first else {
            Issue.record("no prevResult")
            return
        }
        #expect(prev["cniVersion"] == JSONValue.string("0.4.0"))
        #expect(ip["version"] == JSONValue.string("4"))
        #expect(interface["mtu"] == nil)
    }

    @Test func theEnvironmentCarriesTheAttachment() {
        let variables = NetworkRunner(searchPath: ["/a", "/b"], inherited: ["PATH": "/bin", "CNI_IFNAME": "stale"])
            .environment(Self.runtime).variables(for: .add)
        #expect(variables["CNI_CONTAINERID"] == "c1")
        #expect(variables["CNI_NETNS"] == "/run/netns/x")
        #expect(variables["CNI_IFNAME"] == "eth0")
        #expect(variables["CNI_ARGS"] == "K=V")
        #expect(variables["CNI_PATH"] == "/a:/b")
        #expect(variables["PATH"] == "/bin")
    }

    @Test func aListOfferingOneVersionIsNotNegotiated() throws {
        // No plugin is asked: the search path holds none.
        #expect(try NetworkRunner(searchPath: ["/nonexistent"]).negotiate(Self.list).cniVersion == .v0_4_0)
    }

    @Test func checkBelow040IsRefused() throws {
        let old = try NetworkConfigList(parsing: Array(#"{"cniVersion":"0.3.1","name":"n","plugins":[{"type":"x"}]}"#.utf8))
        #expect(throws: CNIError.self) { try NetworkRunner(searchPath: []).check(old, Self.runtime) }
    }
}
