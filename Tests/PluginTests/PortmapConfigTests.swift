import Addressing
import CNI
import Firewall
import Testing
@testable import PortmapPlugin

@Suite struct PortmapConfigTests {
    @Test func absentKeysTakeTheReferenceDefaults() throws {
        for json in ["{}", #"{"runtimeConfig": null}"#, #"{"runtimeConfig": {}}"#,
                     #"{"runtimeConfig": {"portMappings": []}}"#] {
            let config = try decode(PortmapConfig.self, json)
            #expect(config.snat && !config.masqAll, "\(json)")
            #expect(config.portMappings.isEmpty, "\(json)")
        }
    }

    @Test func givenKeysAreTaken() throws {
        let config = try decode(PortmapConfig.self, """
            {"snat": false, "masqAll": true, "runtimeConfig": {"portMappings": [
              {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
              {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "192.0.2.1"}]}}
            """)
        #expect(!config.snat && config.masqAll)
        #expect(config.portMappings.map(\.hostPort) == [8080, 5353])
        #expect(config.portMappings.map(\.containerPort) == [80, 53])
        #expect(config.portMappings.map(\.proto) == [.tcp, .udp])
        #expect(config.portMappings.map(\.hostIP) == [nil, IPAddress("192.0.2.1")])
    }

    @Test(arguments: ["markMasqBit", "externalSetMarkChain", "conditionsV4", "conditionsV6"])
    func iptablesOnlyKeysAreCode2UnlessNull(key: String) throws {
        let error = refusal(PortmapConfig.self, #"{"\#(key)": 13}"#)
        #expect(error?.code == .unsupportedField)
        #expect(error?.msg == "unsupported field \"\(key)\"")
        _ = try decode(PortmapConfig.self, #"{"\#(key)": null}"#)
    }
}

@Suite struct PortMappingTests {
    func mapping(_ fields: String) throws -> PortMapping {
        try #require(try decode(PortmapConfig.self, #"{"runtimeConfig": {"portMappings": [{\#(fields)}]}}"#)
            .portMappings.first)
    }

    func refused(_ fields: String) -> CNIError? {
        refusal(PortmapConfig.self, #"{"runtimeConfig": {"portMappings": [{\#(fields)}]}}"#)
    }

    @Test func protocolIsTCPUnlessGivenInAnyCase() throws {
        #expect(try mapping(#""hostPort": 1, "containerPort": 2"#).proto == .tcp)
        #expect(try mapping(#""hostPort": 1, "containerPort": 2, "protocol": """#).proto == .tcp)
        #expect(try mapping(#""hostPort": 1, "containerPort": 2, "protocol": "UDP""#).proto == .udp)
        #expect(try mapping(#""hostPort": 1, "containerPort": 2, "protocol": "sctp""#).proto == .sctp)
    }

    @Test func anUnknownProtocolIsCode7() {
        let error = refused(#""hostPort": 80, "containerPort": 80, "protocol": "icmp""#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "portMappings: unknown protocol \"icmp\"")
    }

    @Test(arguments: [#""hostPort": 0, "containerPort": 80"#, #""hostPort": 65536, "containerPort": 80"#,
                      #""hostPort": 80, "containerPort": 0"#, #""hostPort": 80, "containerPort": -1"#])
    func portsOutsideOneTo65535AreCode7(fields: String) {
        let error = refused(fields)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.details == "ports are 1 to 65535")
    }

    @Test func bothPortsAreRequired() {
        let error = refused(#""hostPort": 80"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.details == #"missing key "runtimeConfig.portMappings[0].containerPort""#)
    }

    @Test func hostIPNarrowsTheFamiliesAndTheAddress() throws {
        let anywhere = try mapping(#""hostPort": 1, "containerPort": 2"#)
        #expect(anywhere.hostIP == nil && anywhere.families == [.ipv4, .ipv6])
        let empty = try mapping(#""hostPort": 1, "containerPort": 2, "hostIP": """#)
        #expect(empty.hostIP == nil && empty.families == [.ipv4, .ipv6])
        let everyIPv4 = try mapping(#""hostPort": 1, "containerPort": 2, "hostIP": "0.0.0.0""#)
        #expect(everyIPv4.hostIP == nil && everyIPv4.families == [.ipv4])
        let everyIPv6 = try mapping(#""hostPort": 1, "containerPort": 2, "hostIP": "::""#)
        #expect(everyIPv6.hostIP == nil && everyIPv6.families == [.ipv6])
        let one = try mapping(#""hostPort": 1, "containerPort": 2, "hostIP": "2001:db8::1""#)
        #expect(one.hostIP == IPAddress("2001:db8::1") && one.families == [.ipv6])
    }

    @Test func aHostIPThatIsNoAddressIsCode7() {
        let error = refused(#""hostPort": 80, "containerPort": 80, "hostIP": "not-an-ip""#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "portMappings: hostIP \"not-an-ip\" is not an IP address")
    }
}

@Suite struct PortmapEntriesTests {
    let v4 = InterfaceAddress("10.88.0.5/16")!
    let v6 = InterfaceAddress("fd00:88::5/64")!

    func config(_ json: String) throws -> PortmapConfig {
        try decode(PortmapConfig.self, json)
    }

    func publish(_ proto: TransportProtocol, _ hostPort: UInt16, to container: InterfaceAddress, _ containerPort: UInt16,
                 on host: String? = nil) -> FirewallEntry {
        .publish(PortForward(hostAddress: host.flatMap(IPAddress.init), proto: proto, hostPort: hostPort,
                             container: container.address, containerPort: containerPort)!)
    }

    @Test func eachMappingIsPublishedForEveryFamilyWithHairpinAndLocalhostMasquerading() throws {
        let config = try config(#"{"runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80}]}}"#)
        #expect(PortmapPlugin.entries(for: config, addresses: [v4, v6]) == [
            publish(.tcp, 8080, to: v4, 80),
            .masqueradePublished(source: v4.subnet, container: v4.address),
            .masqueradePublished(source: Subnet("127.0.0.0/8")!, container: v4.address),
            publish(.tcp, 8080, to: v6, 80),
            .masqueradePublished(source: v6.subnet, container: v6.address),
        ])
    }

    @Test func aHostIPKeepsTheMappingToItsFamily() throws {
        let config = try config("""
            {"snat": false, "runtimeConfig": {"portMappings": [
              {"hostPort": 53, "containerPort": 53, "protocol": "udp", "hostIP": "192.0.2.1"},
              {"hostPort": 443, "containerPort": 8443, "hostIP": "::"}]}}
            """)
        #expect(PortmapPlugin.entries(for: config, addresses: [v4, v6]) == [
            publish(.udp, 53, to: v4, 53, on: "192.0.2.1"),
            publish(.tcp, 443, to: v6, 8443),
        ])
        // A container without an address of the mapping's family publishes nothing for it.
        #expect(PortmapPlugin.entries(for: config, addresses: [v6]) == [publish(.tcp, 443, to: v6, 8443)])
    }

    @Test func masqAllMasqueradesEverySourceInsteadOfTheSNATSources() throws {
        let config = try config("""
            {"masqAll": true, "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80}]}}
            """)
        #expect(PortmapPlugin.entries(for: config, addresses: [v4, v6]) == [
            publish(.tcp, 8080, to: v4, 80),
            .masqueradePublished(source: Subnet.defaultRoute(.ipv4), container: v4.address),
            publish(.tcp, 8080, to: v6, 80),
            .masqueradePublished(source: Subnet.defaultRoute(.ipv6), container: v6.address),
        ])
    }

    @Test func noMappingsNeedNoEntries() throws {
        #expect(PortmapPlugin.entries(for: try config("{}"), addresses: [v4, v6]).isEmpty)
    }
}
