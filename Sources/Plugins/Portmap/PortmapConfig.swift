import Addressing
import CNI
import Firewall

/// The portmap plugin's keys, as the reference `portmap` names them, plus the `portMappings`
/// capability from `runtimeConfig`.
public struct PortmapConfig: Decodable, Sendable, KnownConfigKeys {
    /// Masquerade published-port traffic from the host itself (127.0.0.0/8) and from the
    /// container's own subnet (hairpin), so that replies return through the host. Default true.
    public let snat: Bool
    /// Masquerade all published-port traffic, whatever its source: for data paths that bypass
    /// the host's namespace on the way back (macvlan, ipvlan).
    public let masqAll: Bool
    /// `runtimeConfig.portMappings`.
    public let portMappings: [PortMapping]

    /// What this decoder reads, and the reference's `backend`: the rules are always nftables.
    public static let configKeys = ConfigKeys.keys(CodingKeys.allCases.map { $0.rawValue } + ["backend"])

    enum CodingKeys: String, CodingKey, CaseIterable {
        case snat, masqAll, runtimeConfig
        case markMasqBit, externalSetMarkChain, conditionsV4, conditionsV6
    }

    enum RuntimeKeys: String, CodingKey { case portMappings }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        snat = try c.decodeIfPresent(Bool.self, forKey: .snat) ?? true
        masqAll = try c.decodeIfPresent(Bool.self, forKey: .masqAll) ?? false
        if c.contains(.runtimeConfig), try !c.decodeNil(forKey: .runtimeConfig) {
            let runtime = try c.nestedContainer(keyedBy: RuntimeKeys.self, forKey: .runtimeConfig)
            portMappings = try runtime.decodeIfPresent([PortMapping].self, forKey: .portMappings) ?? []
        } else {
            portMappings = []
        }
        // The reference plugin's iptables marks and extra match expressions have no counterpart in
        // a set-based ruleset: refuse them rather than publish ports differently than asked.
        for key in [CodingKeys.markMasqBit, .externalSetMarkChain, .conditionsV4, .conditionsV6] where c.contains(key) {
            guard try c.decodeNil(forKey: key) else {
                throw CNIError(.unsupportedField, "unsupported field \"\(key.stringValue)\"",
                               details: "swift-cni's portmap masquerades without packet marks and takes no extra conditions")
            }
        }
    }
}

/// One entry of the `portMappings` capability: `{hostPort, containerPort, protocol, hostIP?}`.
public struct PortMapping: Decodable, Hashable, Sendable {
    public let hostPort: UInt16
    public let containerPort: UInt16
    public let proto: TransportProtocol
    /// The host address to publish on; `nil` for every local address. An unspecified address
    /// (`0.0.0.0`, `::`) means every local address of that family only.
    public let hostIP: IPAddress?
    /// Which families the mapping applies to.
    public let families: Set<AddressFamily>

    enum CodingKeys: String, CodingKey {
        case hostPort, containerPort, hostIP
        case proto = "protocol"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostPort = try Self.port(c, .hostPort)
        containerPort = try Self.port(c, .containerPort)
        let protoText = try c.decodeIfPresent(String.self, forKey: .proto).flatMap { $0.isEmpty ? nil : $0 } ?? "tcp"
        guard let proto = TransportProtocol(rawValue: protoText.lowercased()) else {
            throw CNIError(.invalidNetworkConfig, "portMappings: unknown protocol \"\(protoText)\"",
                           details: "protocol must be tcp, udp or sctp")
        }
        self.proto = proto
        let hostText = try c.decodeIfPresent(String.self, forKey: .hostIP) ?? ""
        if hostText.isEmpty {
            hostIP = nil
            families = [.ipv4, .ipv6]
        } else {
            guard let address = IPAddress(hostText) else {
                throw CNIError(.invalidNetworkConfig, "portMappings: hostIP \"\(hostText)\" is not an IP address")
            }
            hostIP = address.bytes.allSatisfy({ $0 == 0 }) ? nil : address
            families = [address.family]
        }
    }

    private static func port(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> UInt16 {
        let value = try c.decode(Int.self, forKey: key)
        guard (1...65535).contains(value) else {
            throw CNIError(.invalidNetworkConfig, "portMappings: \(key.stringValue) \(value) is out of range",
                           details: "ports are 1 to 65535")
        }
        return UInt16(value)
    }
}
