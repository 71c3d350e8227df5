import Addressing
import CNI
import Firewall
import Identity
import Netlink
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
        for ip in result.ips {
            // Whatever the config asks for: the host's record of who holds each address, which
            // outlives any store (see `liveHolders`). It only exempts traffic within the subnet
            // from masquerading and isolation.
            entries.append(.sameNetwork(ip.address))
            if config.ipMasq { entries.append(.masquerade(ip.address.address)) }
            if config.networkIsolation { entries.append(.isolate(ip.address.address)) }
        }
        if config.macSpoofCheck { entries.append(.spoofCheck(port: port, mac: mac)) }
        return entries
    }

    /// The other bridge attachments of this host that hold one of `result`'s addresses and are
    /// still there (their host end bears their alias), with the addresses each holds. IPAM handed
    /// out an address such an attachment holds only if its store lost that lease: removed,
    /// replaced or rolled back under live attachments.
    func liveHolders(of result: CNIResult, using firewall: Firewall,
                     on host: NetlinkSocket) throws -> [(attachment: AttachmentID, addresses: [IPAddress])] {
        var holders: [(attachment: AttachmentID, addresses: [IPAddress])] = []
        for ip in result.ips {
            guard let holder = try firewall.holder(of: .sameNetwork(ip.address)), holder != owner,
                  holder.role == .bridge, !holders.contains(where: { $0.attachment == holder.attachment }),
                  try Self.isPresent(holder.attachment, on: host) else { continue }
            let addresses = try firewall.entries(of: holder).compactMap { entry -> IPAddress? in
                if case .sameNetwork(let address) = entry { address.address } else { nil }
            }
            holders.append((holder.attachment, addresses))
        }
        return holders
    }

    /// Whether the attachment's host end is there, bearing its alias: what proves a bridge
    /// attachment is not gone.
    static func isPresent(_ attachment: AttachmentID, on host: NetlinkSocket) throws -> Bool {
        try host.link(named: HostVethName.make(for: attachment))?.alias == attachment.hostAlias
    }

    /// ADD's firewall step, undone if a later step fails.
    func apply(to result: CNIResult, port: InterfaceName, mac: MACAddress, using firewall: Firewall,
               on host: NetlinkSocket, alsoEvicting staleHolders: EvictionPolicy, rollback: inout Rollback) throws {
        let entries = entries(for: result, port: port, mac: mac)
        guard !entries.isEmpty else { return }
        // Another bridge attachment holding one of these addresses, interfaces or MACs whose host
        // end is gone is stale: its DEL or GC never ran (its namespace and network may be long
        // gone, too). One whose host end is there keeps what it holds, and this ADD fails.
        let staleBridges = EvictionPolicy.holders(of: [.bridge], whenGone: { try !Self.isPresent($0.attachment, on: host) })
        try firewall.replace(owner, with: entries, evicting: staleBridges.adding(staleHolders))
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
