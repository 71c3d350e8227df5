import Addressing
import Identity

/// Where the overlay's records live in the store, below the store's own prefix.
public enum OverlayKeys {
    /// Everything of the overlays: what a host's agent watches.
    public static let root = "vxlan/"
    /// Every attachment of every overlay network.
    public static let attachments = root + "attachments/"
    /// The hosts whose agents run, each key held by its agent's lease.
    public static let hosts = root + "hosts/"

    /// The liveness key of host `host`.
    public static func host(_ host: String) -> String { hosts + host }

    /// The attachments of one network.
    public static func attachments(of network: NetworkName) -> String {
        attachments + network.rawValue + "/"
    }

    /// One attachment's record: `vxlan/attachments/<network>/<containerID>/<interface>`.
    public static func attachment(_ id: AttachmentID) -> String {
        attachments + id.text
    }

    /// The attachment a record's key names, or `nil` for a key of another shape.
    public static func attachmentID(fromKey key: String) -> AttachmentID? {
        guard key.hasPrefix(attachments) else { return nil }
        return AttachmentID(text: key.dropFirst(attachments.count))
    }

    /// The host subnets of every routed overlay.
    public static let subnets = root + "subnets/"

    /// The host subnets of one routed network.
    public static func subnets(of network: NetworkName) -> String { subnets + network.rawValue + "/" }

    /// The network a host subnet's key belongs to, or `nil` for a key of another shape.
    public static func network(ofSubnetKey key: String) -> NetworkName? {
        guard key.hasPrefix(subnets), let name = key.dropFirst(subnets.count).split(separator: "/").first else { return nil }
        return NetworkName(String(name))
    }

    /// One host subnet's record: `vxlan/subnets/<network>/10.96.3.0-24` (a key segment has no `/`).
    public static func subnet(_ subnet: Subnet, of network: NetworkName) -> String {
        subnets(of: network) + "\(subnet.network)-\(subnet.prefixLength)"
    }
}
