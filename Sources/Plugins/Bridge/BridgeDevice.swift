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
        let createdHere: Bool
        do {
            // An explicit MAC keeps the bridge's address stable; otherwise the kernel makes it
            // follow the lowest port MAC, and results would report a MAC that later changes.
            try host.createBridge(name: config.bridge, mtu: config.mtu, mac: .randomLocal())
            createdHere = true
        } catch NetlinkError.exists {
            createdHere = false  // A concurrent ADD created it first.
        }
        guard let created = try host.link(named: config.bridge) else {
            throw CNIError(.tryAgainLater, "bridge \(config.bridge) vanished while it was being created")
        }
        if createdHere {
            // Snooping off, as on Kata's and Incus's container bridges: with it on, each port that
            // comes up re-arms timers on every other port (0.4 ms per ADD at 1000 containers), and
            // with no querier on the network a snooping bridge floods multicast anyway. Only a bridge
            // we made is changed, and failing to change it costs speed, not correctness.
            try? host.setBridgeMulticastSnooping(index: created.index, false)
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
    ///
    /// The gateway is added first, and the bridge's addresses are read only when it was new: the
    /// usual ADD finds it present at the cost of one refused add, instead of listing every address
    /// of the host (which grows with each container's veth).
    func ensureGateways(_ gateways: [InterfaceAddress], force: Bool, on host: NetlinkSocket) throws {
        for gateway in gateways {
            do {
                try host.addAddress(gateway, index: link.index, noDAD: true)
            } catch NetlinkError.exists {
                continue
            }
            let others = try host.addresses(index: link.index, family: gateway.family).filter {
                $0 != gateway && ($0.family == .ipv4 || $0.subnet.overlaps(gateway.subnet))
            }
            guard !others.isEmpty else { continue }
            guard force else {
                _ = try? host.deleteAddress(gateway, index: link.index)
                throw CNIError(.invalidNetworkConfig,
                               "bridge \(name) already has an IP address (\(others[0])) different from \(gateway)",
                               details: "set \"forceAddress\": true to replace it, or use another bridge")
            }
            for other in others { _ = try host.deleteAddress(other, index: link.index) }
            // Deleting a primary IPv4 address also deletes its secondaries, the new gateway among them.
            do {
                try host.addAddress(gateway, index: link.index, noDAD: true)
            } catch NetlinkError.exists {}
        }
        for family in Set(gateways.map(\.family)) {
            _ = try Sysctl.write(family == .ipv4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding", "1")
        }
    }
}
