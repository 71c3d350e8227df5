import Addressing
import FoundationEssentials
import CNI
import Testing

@Suite struct CNIResultCodingTests {
    /// A bridge-like result using every field, 1.1-only ones included.
    let full = CNIResult(
        interfaces: [
            .init(name: "br-test", mac: "c2:00:00:00:00:01", mtu: 1500),
            .init(name: "veth1234", mac: "c2:00:00:00:00:02", socketPath: "/run/sock", pciID: "0000:00:01.0"),
            .init(name: "eth0", mac: "c2:00:00:00:00:03", mtu: 1400, sandbox: "/run/netns/x"),
        ],
        ips: [
            .init(address: InterfaceAddress("10.250.0.5/24")!, gateway: IPAddress("10.250.0.1"), interface: 2),
            .init(address: InterfaceAddress("fd00:250::5/64")!, interface: 2),
        ],
        routes: [
            .init(dst: Subnet("0.0.0.0/0")!, gw: IPAddress("10.250.0.1"), mtu: 1400, advmss: 1360, priority: 10,
                  table: 100, scope: 0),
            .init(dst: Subnet("fd00:250::/64")!),
        ],
        dns: .init(nameservers: ["10.250.0.1"], domain: "lab", search: [], options: nil))

    private func encoded(_ result: CNIResult, as version: CNIVersion) throws -> JSONValue {
        try JSONValue(parsing: result.encoded(as: version))
    }

    @Test func version110KeepsEverything() throws {
        #expect(try encoded(full, as: .v1_1_0) == JSONValue(parsing: """
            {"cniVersion": "1.1.0",
             "interfaces": [
               {"name": "br-test", "mac": "c2:00:00:00:00:01", "mtu": 1500},
               {"name": "veth1234", "mac": "c2:00:00:00:00:02", "socketPath": "/run/sock", "pciID": "0000:00:01.0"},
               {"name": "eth0", "mac": "c2:00:00:00:00:03", "mtu": 1400, "sandbox": "/run/netns/x"}],
             "ips": [{"address": "10.250.0.5/24", "gateway": "10.250.0.1", "interface": 2},
                     {"address": "fd00:250::5/64", "interface": 2}],
             "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.0.1", "mtu": 1400, "advmss": 1360, "priority": 10,
                         "table": 100, "scope": 0},
                        {"dst": "fd00:250::/64"}],
             "dns": {"nameservers": ["10.250.0.1"], "domain": "lab"}}
            """))
    }

    @Test func version100DropsThe11Fields() throws {
        #expect(try encoded(full, as: .v1_0_0) == JSONValue(parsing: """
            {"cniVersion": "1.0.0",
             "interfaces": [
               {"name": "br-test", "mac": "c2:00:00:00:00:01"},
               {"name": "veth1234", "mac": "c2:00:00:00:00:02"},
               {"name": "eth0", "mac": "c2:00:00:00:00:03", "sandbox": "/run/netns/x"}],
             "ips": [{"address": "10.250.0.5/24", "gateway": "10.250.0.1", "interface": 2},
                     {"address": "fd00:250::5/64", "interface": 2}],
             "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.0.1"}, {"dst": "fd00:250::/64"}],
             "dns": {"nameservers": ["10.250.0.1"], "domain": "lab"}}
            """))
    }

    @Test(arguments: [CNIVersion.v0_3_0, .v0_3_1, .v0_4_0])
    func pre100AddsTheIPVersion(version: CNIVersion) throws {
        #expect(try encoded(full, as: version) == JSONValue(parsing: """
            {"cniVersion": "\(version.rawValue)",
             "interfaces": [
               {"name": "br-test", "mac": "c2:00:00:00:00:01"},
               {"name": "veth1234", "mac": "c2:00:00:00:00:02"},
               {"name": "eth0", "mac": "c2:00:00:00:00:03", "sandbox": "/run/netns/x"}],
             "ips": [{"version": "4", "address": "10.250.0.5/24", "gateway": "10.250.0.1", "interface": 2},
                     {"version": "6", "address": "fd00:250::5/64", "interface": 2}],
             "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.0.1"}, {"dst": "fd00:250::/64"}],
             "dns": {"nameservers": ["10.250.0.1"], "domain": "lab"}}
            """))
    }

    @Test func abbreviatedIPAMResultHasNoInterfacesAndNoEmptyDNS() throws {
        let ipam = CNIResult(ips: [.init(address: InterfaceAddress("10.250.0.5/24")!, gateway: IPAddress("10.250.0.1"))],
                             dns: .init(nameservers: []))
        #expect(try encoded(ipam, as: .v0_4_0) == JSONValue(parsing: """
            {"cniVersion": "0.4.0",
             "ips": [{"version": "4", "address": "10.250.0.5/24", "gateway": "10.250.0.1"}]}
            """))
    }

    @Test func cniVersionComesFirstAndSlashesAreNotEscaped() throws {
        let text = String(decoding: try full.encoded(as: .v1_0_0), as: UTF8.self)
        #expect(text.hasPrefix(#"{"cniVersion":"1.0.0","#))
        #expect(text.contains("/run/netns/x"))
    }

    @Test(arguments: CNIVersion.allCases)
    func everyVersionDecodesBackToTheModelWithoutItsNewerFields(version: CNIVersion) throws {
        let decoded = try CNIResult.decode(from: full.encoded(as: version))
        // An empty list is not written, so it comes back as nil.
        var expected = full
        expected.dns?.search = nil
        if version == .v1_1_0 {
            #expect(decoded == expected)
        } else {
            #expect(decoded.interfaces.map(\.name) == full.interfaces.map(\.name))
            #expect(decoded.interfaces.allSatisfy { $0.mtu == nil && $0.pciID == nil && $0.socketPath == nil })
            #expect(decoded.ips == full.ips)
            #expect(decoded.routes.map(\.dst) == full.routes.map(\.dst))
            #expect(decoded.routes[0].table == nil)
            #expect(decoded.dns == expected.dns)
        }
    }

    @Test func plainCodableIsThe11LayoutWithoutVersion() throws {
        let value = try JSONValue(parsing: Array(JSONEncoder().encode(CNIResult(routes: [.init(dst: Subnet("10.0.0.0/8")!, table: 5)]))))
        #expect(value == (try JSONValue(parsing: #"{"routes": [{"dst": "10.0.0.0/8", "table": 5}]}"#)))
    }

    @Test func malformedResultIsCode6() {
        let error = #expect(throws: CNIError.self) {
            try CNIResult.decode(from: Array(#"{"ips": [{"address": 5}]}"#.utf8))
        }
        #expect(error?.code == .decodingFailure)
        #expect(error?.details?.hasPrefix("ips[0].address: ") == true)
    }
}

@Suite struct CNIErrorTests {
    @Test func printedShape() throws {
        let error = CNIError(.invalidNetworkConfig, "bad", details: "why")
        #expect(try JSONValue(parsing: error.encoded(cniVersion: .v0_4_0)) == JSONValue(parsing: """
            {"cniVersion": "0.4.0", "code": 7, "msg": "bad", "details": "why"}
            """))
        #expect(try JSONValue(parsing: CNIError(.internal, "boom").encoded(cniVersion: .v1_1_0)) == JSONValue(parsing: """
            {"cniVersion": "1.1.0", "code": 999, "msg": "boom"}
            """))
    }

    @Test func decodesAnyPluginsErrorIncludingPluginSpecificCodes() throws {
        let error = try JSONDecoder().decode(CNIError.self, from: Data(#"{"code": 123, "msg": "m", "details": ""}"#.utf8))
        #expect(error == CNIError(CNIErrorCode(123), "m"))
        #expect(CNIErrorCode(rawValue: 7) == .invalidNetworkConfig)
    }

    @Test func descriptionJoinsMessageAndDetails() {
        #expect(CNIError(.ioFailure, "a", details: "b").description == "a: b")
        #expect(CNIError(.ioFailure, "a").description == "a")
    }
}
