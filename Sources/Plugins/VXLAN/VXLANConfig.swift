import Addressing
import BridgePlugin
import CNI
import IPAM
import Overlay
import Netlink
import PluginKit
import Stores

/// The vxlan plugin's keys. The bridge's keys (`ipMasq`, `hairpinMode`, `macspoofchk`,
/// `networkIsolation`...) mean what they mean for `bridge`: each host's containers are attached to a
/// bridge that way, with the overlay's VXLAN device as one more port.
public struct VXLANConfig: Decodable, Sendable, KnownConfigKeys {
    public let mode: VXLANMode
    /// The overlay's VXLAN network identifier: the same on every host, different for every overlay.
    public let vni: UInt32
    /// The UDP port VXLAN packets go to (4789).
    public let port: UInt16
    /// The link the tunnel runs over; `nil` means the interface of the default route.
    public let underlay: InterfaceName?
    /// This host's tunnel endpoint; `nil` means the underlay's first address.
    public let vtepAddress: IPAddress?
    /// The MTU of the device, the bridge and the containers; `nil` means the underlay's minus the
    /// VXLAN headers.
    public let mtu: Int?
    /// The host's bridge for this overlay; `vxbr<vni>` unless given.
    public let bridge: InterfaceName
    /// Whether containers route their default traffic via the gateway on their host's bridge.
    public let isDefaultGateway: Bool
    /// Seconds a host's containers stay programmed on the other hosts once its agent stops (the
    /// agent's lease on its host key in the store).
    public let hostTTL: Int
    /// The bridge attachment's other settings.
    public let attachment: BridgeConfig
    /// The store shared by the hosts: the configuration's `store`, else the `ipam` section's, else
    /// the host-wide one. Must be etcd.
    public let store: StoreConfiguration

    /// Routed mode: the network's IPv4 `subnet` cut into host subnets of `/hostSubnetSize`; `nil` in
    /// l2 mode.
    public let hostSubnets: HostSubnetPool?
    /// Routed mode: how long a host subnet stays its host's once its last container has gone: the
    /// `ipam` section's `blockGracePeriod` (kv-ipam's grace period for its empty blocks).
    public let hostSubnetGracePeriod: Duration

    public static let defaultHostTTL = 10
    public static let defaultHostSubnetSize = 24

    public static let configKeys: ConfigKeys = {
        guard case .object(let bridgeNames, let nested, _) = BridgeConfig.configKeys else {
            preconditionFailure("BridgeConfig's keys are an object")
        }
        return .keys(CodingKeys.allCases.filter { $0 != .ipam }.map(\.rawValue) + bridgeNames, nested: nested)
    }()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, vni, port, underlay, vtepAddress, mtu, bridge, isDefaultGateway, hostTTL, store, dataDir, subnet,
             hostSubnetSize
        /// One of the keys every plugin shares, read here only to find its `store`.
        case ipam
    }

    private enum IPAMKeys: String, CodingKey { case store, blockGracePeriod }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(VXLANMode.self, forKey: .mode) ?? .l2
        guard let vni = try c.decodeIfPresent(Int.self, forKey: .vni) else {
            throw CNIError(.invalidNetworkConfig, "vxlan: \"vni\" is required",
                           details: "give the overlay a VXLAN network identifier from 1 to \(VXLANSettings.largestVNI), the same on every host")
        }
        guard (1...Int(VXLANSettings.largestVNI)).contains(vni) else {
            throw CNIError(.invalidNetworkConfig, "vxlan: vni \(vni) is out of range",
                           details: "a VXLAN network identifier is from 1 to \(VXLANSettings.largestVNI)")
        }
        self.vni = UInt32(vni)
        let port = try c.decodeIfPresent(Int.self, forKey: .port) ?? Int(VXLANSettings.defaultPort)
        guard (1...65535).contains(port) else {
            throw CNIError(.invalidNetworkConfig, "vxlan: port \(port) is not a UDP port")
        }
        self.port = UInt16(port)
        underlay = try c.decodeIfPresent(InterfaceName.self, forKey: .underlay)
        vtepAddress = try c.decodeIfPresent(IPAddress.self, forKey: .vtepAddress)
        mtu = try c.decodeIfPresent(Int.self, forKey: .mtu)
        if let mtu, !(68...65535).contains(mtu) {
            throw CNIError(.invalidNetworkConfig, "vxlan: mtu \(mtu) is out of range",
                           details: "an Ethernet MTU must be between 68 and 65535")
        }
        bridge = try c.decodeIfPresent(InterfaceName.self, forKey: .bridge) ?? InterfaceName("vxbr\(vni)")!
        isDefaultGateway = try c.decodeIfPresent(Bool.self, forKey: .isDefaultGateway) ?? true
        hostTTL = try c.decodeIfPresent(Int.self, forKey: .hostTTL) ?? Self.defaultHostTTL
        guard (2...3600).contains(hostTTL) else {
            throw CNIError(.invalidNetworkConfig, "vxlan: hostTTL \(hostTTL) is out of range",
                           details: "give a number of seconds from 2 to 3600")
        }
        attachment = try BridgeConfig(from: decoder)

        let section = c.contains(.ipam) ? try? c.nestedContainer(keyedBy: IPAMKeys.self, forKey: .ipam) : nil
        let ipamStore = !c.contains(.store) && section?.contains(.store) == true
        // kv-ipam checks the value itself; an unreadable one leaves kv-ipam's default here.
        hostSubnetGracePeriod = (try? section?.decodeIfPresent(Int.self, forKey: .blockGracePeriod)).flatMap { $0 }
            .map { .seconds(max(1, $0)) } ?? BlockLayout.defaultGracePeriod
        store = try StoreConfiguration(from: ipamStore ? c.superDecoder(forKey: .ipam) : decoder)
        guard case .etcd = store else {
            throw CNIError(.invalidNetworkConfig, "vxlan: the store is not shared by the hosts",
                           details: "give a \"store\" of type \"etcd\" (here, in the ipam section, or in /etc/swift-cni/store.json)")
        }
        switch mode {
        case .l2:
            hostSubnets = nil
        case .routed:
            guard let subnet = try c.decodeIfPresent(Subnet.self, forKey: .subnet) else {
                throw CNIError(.invalidNetworkConfig, "vxlan: mode \"routed\" needs \"subnet\"",
                               details: "give the network's IPv4 subnet, e.g. \"10.96.0.0/16\", the same on every host")
            }
            let size = try c.decodeIfPresent(Int.self, forKey: .hostSubnetSize) ?? Self.defaultHostSubnetSize
            guard let pool = HostSubnetPool(network: subnet, hostPrefix: size) else {
                throw CNIError(.invalidNetworkConfig, "vxlan: hostSubnetSize \(size) does not cut subnet \(subnet)",
                               details: "routed mode needs an IPv4 subnet and a hostSubnetSize longer than its prefix, at most 30")
            }
            hostSubnets = pool
        }
    }
}
