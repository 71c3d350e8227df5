import Identity

/// Where the overlay's records live in the store, below the store's own prefix.
public enum OverlayKeys {
    /// Every attachment of every overlay network: what a host's agent watches.
    public static let attachments = "vxlan/attachments/"

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
}
