import Addressing
import CNI
import Netlink

/// The network's bridge on the host: created on first use, and given the gateway addresses when
/// the network is a gateway. Safe against concurrent first ADDs: whoever loses the race to create
/// it, or to add an address, finds the winner's work and verifies it.
struct BridgeDevice {
    let link: Link

    static func ensure(_ config: BridgeConfig, on host: NetlinkSocket) throws -> BridgeDevice {
        if let existing = try host.link(named: config.bridge) {
            return try BridgeDevice(verifying: existing, config, on: host)
        }
        do {
            // An explicit MAC keeps the bridge's address stable; otherwise the kernel makes it
            // follow the lowest port MAC, and results would report a MAC that later changes.
            try host.createBridge(name: config.bridge, mtu: config.mtu, mac: .randomLocal())
        } catch NetlinkError.exists {
            // A concurrent ADD created it first.
        }
        guard let created = try host.link(named: config.bridge) else {
            throw CNIError(.tryAgainLater, "bridge \(config.bridge) vanished while it was being created")
        }
        return try BridgeDevice(verifying: created, config, on: host)
    }

    private init(verifying link: Link, _ config: BridgeConfig, on host: NetlinkSocket) throws {
        guard link.kind == "bridge" else {
            throw CNIError(.invalidNetworkConfig,
                           "\(config.bridge) already exists and is not a bridge (it is a \(link.kind ?? "device"))",
                           details: "choose another \"bridge\" name or remove that interface")
        }
        if !link.isUp { try host.setUp(index: link.index) }
        if config.promiscMode && !link.isPromiscuous { try host.setPromiscuous(index: link.index, true) }
        self.link = link
    }

    var name: String { link.name }

    /// Puts each gateway on the bridge, as the reference does: an identical address is fine; any
    /// other IPv4 address, or an overlapping IPv6 one, is a conflict unless `forceAddress`.
    func ensureGateways(_ gateways: [InterfaceAddress], force: Bool, on host: NetlinkSocket) throws {
        for family in AddressFamily.allCases {
            let wanted = gateways.filter { $0.family == family }
            guard !wanted.isEmpty else { continue }
            let present = try host.addresses(index: link.index, family: family)
            for address in wanted where !present.contains(address) {
                for other in present where family == .ipv4 || other.subnet.overlaps(address.subnet) {
                    guard force else {
                        throw CNIError(.invalidNetworkConfig,
                                       "bridge \(name) already has an IP address (\(other)) different from \(address)",
                                       details: "set \"forceAddress\": true to replace it, or use another bridge")
                    }
                    _ = try host.deleteAddress(other, index: link.index)
                }
                do {
                    try host.addAddress(address, index: link.index, noDAD: true)
                } catch NetlinkError.exists {
                    // A concurrent ADD added the same gateway.
                }
            }
            _ = try Sysctl.write(family == .ipv4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding", "1")
        }
    }
}
