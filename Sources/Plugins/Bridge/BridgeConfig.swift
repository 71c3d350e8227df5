import Addressing
import CNI
import PluginKit

/// The bridge plugin's keys, named and defaulted as in the reference `bridge` plugin.
public struct BridgeConfig: Decodable, Sendable, KnownConfigKeys {
    /// The bridge to attach to, created on first use.
    public private(set) var bridge: InterfaceName
    /// Put each range's gateway address on the bridge (and enable forwarding).
    public private(set) var isGateway: Bool
    /// Also route the container's default traffic via those gateways. Implies `isGateway`.
    public private(set) var isDefaultGateway: Bool
    /// Replace a different address of the same family on the bridge instead of failing.
    public let forceAddress: Bool
    /// MTU of the veth pair, and of the bridge when this plugin creates it.
    public private(set) var mtu: Int?
    /// Let frames leave through the port they came in on, so a container reaches itself via NAT.
    public let hairpinMode: Bool
    /// Put the bridge in promiscuous mode.
    public let promiscMode: Bool
    /// Keep IPv6 duplicate address detection on the container interface (off by default: it
    /// delays the address by seconds).
    public let enableDAD: Bool
    /// Masquerade the containers' traffic leaving the network's subnets (`ipMasq`).
    public let ipMasq: Bool
    /// Drop frames leaving a container's port with a source MAC other than the container's.
    public let macSpoofCheck: Bool
    /// Keep this network's containers and those of other isolated swift-cni bridge networks
    /// apart, published ports aside (Docker's inter-network isolation). On unless `false`.
    public let networkIsolation: Bool

    public static let defaultBridge = InterfaceName("cni0")!

    /// What this decoder reads, and two keys of the reference bridge that change nothing here:
    /// firewall rules are always nftables (`ipMasqBackend`), and there is no VLAN filtering
    /// (`preserveDefaultVlan`).
    public static let configKeys = ConfigKeys.keys(CodingKeys.allCases.map { $0.rawValue } + ["ipMasqBackend", "preserveDefaultVlan"],
                                                   nested: [IPAMDriver.sectionKeys])

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bridge, isGateway, isDefaultGateway, forceAddress, mtu, hairpinMode, promiscMode
        case enableDAD = "enabledad"
        case ipMasq, networkIsolation
        case macSpoofCheck = "macspoofchk"
        case vlan, vlanTrunk, disableContainerInterface, portIsolation
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bridge = try c.decodeIfPresent(InterfaceName.self, forKey: .bridge) ?? Self.defaultBridge
        isDefaultGateway = try c.decodeIfPresent(Bool.self, forKey: .isDefaultGateway) ?? false
        isGateway = try c.decodeIfPresent(Bool.self, forKey: .isGateway) ?? false || isDefaultGateway
        forceAddress = try c.decodeIfPresent(Bool.self, forKey: .forceAddress) ?? false
        mtu = try c.decodeIfPresent(Int.self, forKey: .mtu)
        hairpinMode = try c.decodeIfPresent(Bool.self, forKey: .hairpinMode) ?? false
        promiscMode = try c.decodeIfPresent(Bool.self, forKey: .promiscMode) ?? false
        enableDAD = try c.decodeIfPresent(Bool.self, forKey: .enableDAD) ?? false
        ipMasq = try c.decodeIfPresent(Bool.self, forKey: .ipMasq) ?? false
        macSpoofCheck = try c.decodeIfPresent(Bool.self, forKey: .macSpoofCheck) ?? false
        networkIsolation = try c.decodeIfPresent(Bool.self, forKey: .networkIsolation) ?? true

        if let mtu, !(68...65535).contains(mtu) {
            throw CNIError(.invalidNetworkConfig, "mtu \(mtu) is out of range",
                           details: "an Ethernet MTU must be between 68 and 65535")
        }
        if hairpinMode && promiscMode {
            throw CNIError(.invalidNetworkConfig, "hairpinMode and promiscMode cannot both be set")
        }
        // Options of the reference bridge that this plugin does not offer yet: refuse rather than
        // silently build a network that differs from what the configuration asks for.
        let unsupported: [(CodingKeys, String)] = [
            (.vlan, "VLAN filtering is not supported"),
            (.vlanTrunk, "VLAN trunks are not supported"),
            (.disableContainerInterface, "disableContainerInterface is not supported"),
            (.portIsolation, "portIsolation is not supported"),
        ]
        for (key, why) in unsupported where try c.isSet(key) {
            throw CNIError(.unsupportedField, "unsupported field \"\(key.stringValue)\": \(why)",
                           details: "remove \"\(key.stringValue)\" from the bridge configuration")
        }
    }
}

extension BridgeConfig {
    /// This configuration on `bridge` with `mtu`, the gateways on the bridge and, when
    /// `defaultGateway`, the containers' default routes through them: for a plugin that builds its
    /// networks on this one and decides those itself.
    public func attaching(to bridge: InterfaceName, mtu: Int?, defaultGateway: Bool) -> BridgeConfig {
        var config = self
        config.bridge = bridge
        config.mtu = mtu
        config.isGateway = true
        config.isDefaultGateway = defaultGateway
        return config
    }
}

extension KeyedDecodingContainer {
    /// True when `key` is present with a value that asks for something: `true`, a non-zero number,
    /// or a non-empty list.
    func isSet(_ key: Key) throws -> Bool {
        guard contains(key), try !decodeNil(forKey: key) else { return false }
        if let flag = try? decode(Bool.self, forKey: key) { return flag }
        if let number = try? decode(Int.self, forKey: key) { return number != 0 }
        if let list = try? decode([AnyDecodable].self, forKey: key) { return !list.isEmpty }
        return true
    }
}

/// Accepts any JSON value; used only to count list elements.
struct AnyDecodable: Decodable {
    init(from decoder: Decoder) throws {}
}
