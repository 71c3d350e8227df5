import Firewall
import Identity
import KV

/// The other hosts' containers of an isolated overlay, entered into this host's isolation set. A
/// host isolates the addresses of its own containers only, and a packet to a container of another
/// host is routed here (into the overlay's bridge, then the tunnel) without its destination being
/// one of them: without these entries, a container of one overlay would reach another overlay's
/// containers on other hosts through the host's routing.
public enum PeerIsolation {
    /// The owner role of these entries: one owner per remote attachment.
    public static let role = FirewallOwner.Role(rawValue: "vxlanpeer")!

    /// Which of these entries an ADD may take over: those of a remote attachment whose record has
    /// left `store` (its DEL has run, this host's agent has not seen it yet), so that its address,
    /// leased again here at once, is not refused.
    public static func staleEntries(in store: any KeyValueStore) -> EvictionPolicy {
        .holders(of: [role]) { owner in try store.get(OverlayKeys.attachment(owner.attachment)) == nil }
    }

    /// Makes the firewall isolate exactly the addresses of `remote`, the attachments of `network`
    /// on other hosts (those of networks that ask for isolation).
    @discardableResult
    public static func apply(network: NetworkName, remote: [AttachmentID: OverlayAttachment],
                             using firewall: Firewall) throws -> PeerChanges {
        var changes = PeerChanges()
        let present = Set(try firewall.owners(role, network: network))
        for (id, record) in remote {
            let owner = FirewallOwner(role: role, attachment: id)
            // Within its subnet it is exempt, as a local container is: the other containers of its
            // overlay keep reaching it (bridged traffic passes the forward hook with br_netfilter).
            let entries = record.ips.flatMap { [FirewallEntry.sameNetwork($0), .isolate($0.address)] }
            if present.contains(owner), Set(try firewall.entries(of: owner)) == Set(entries) { continue }
            try firewall.replace(owner, with: entries)
            changes.added += 1
        }
        for owner in present where remote[owner.attachment] == nil {
            try firewall.remove(owner)
            changes.removed += 1
        }
        if changes.removed > 0 { try firewall.awaitRemovals() }
        return changes
    }
}
