import Addressing
import CNI
import Firewall
import PluginKit

/// The bridge's part of swift-cni's firewall for one attachment: masquerading (`ipMasq`),
/// isolation from other networks (`networkIsolation`) and the MAC spoof check (`macspoofchk`).
struct BridgeFirewall {
    let owner: FirewallOwner
    let config: BridgeConfig

    init(_ request: AttachmentRequest<BridgeConfig>) {
        owner = FirewallOwner(.bridge, request)
        config = request.config
    }

    /// What the attachment needs, given its ADD result; empty when the config asks for none of it.
    func entries(for result: CNIResult, port: InterfaceName, mac: MACAddress) -> [FirewallEntry] {
        var entries: [FirewallEntry] = []
        if config.ipMasq || config.networkIsolation {
            for ip in result.ips {
                entries.append(.sameNetwork(ip.address))
                if config.ipMasq { entries.append(.masquerade(ip.address.address)) }
                if config.networkIsolation { entries.append(.isolate(ip.address.address)) }
            }
        }
        if config.macSpoofCheck { entries.append(.spoofCheck(port: port, mac: mac)) }
        return entries
    }

    /// ADD's firewall step, undone if a later step fails.
    func apply(to result: CNIResult, port: InterfaceName, mac: MACAddress, rollback: inout Rollback) throws {
        let entries = entries(for: result, port: port, mac: mac)
        guard !entries.isEmpty else { return }
        let firewall = try Firewall()
        // Another bridge attachment holding one of these addresses, interfaces or MACs is stale:
        // the address was handed out again, so its lease is gone, yet its DEL or GC never ran (its
        // namespace and network may be long gone, too). Two live attachments cannot share an
        // address on a host.
        try firewall.replace(owner, with: entries, evicting: .holders(of: [.bridge]))
        rollback.onFailure { [owner] in
            _ = try? firewall.remove(owner)
            try? firewall.awaitRemovals()
        }
    }

    /// DEL's: removes whatever the attachment has, whatever the config says now, through `firewall`.
    func remove(using firewall: Firewall) throws {
        try firewall.remove(owner)
    }

    /// CHECK's: the elements the ADD result implies are all in place.
    func verify(_ result: CNIResult) throws {
        let port = result.interface(.hostVeth).flatMap { InterfaceName($0.name) }
        let mac = result.interface(.container)?.mac.flatMap { MACAddress($0) }
        guard let port, let mac else {
            throw CheckFailure("prevResult does not name the host veth and the container MAC")
        }
        try Firewall().verify(owner, expected: entries(for: result, port: port, mac: mac))
    }
}

extension FirewallOwner.Role {
    /// The bridge's elements: `bridge <network>/<container>/<ifname>` in the kernel.
    static let bridge = FirewallOwner.Role(rawValue: "bridge")!
}
