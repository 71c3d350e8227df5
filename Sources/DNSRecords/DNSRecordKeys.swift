import Identity

/// Where DNS records live in the store: one key per attachment, its canonical text after the root,
///
///     dns/<network>/<containerID>/<ifname>  ->  JSON {domain, names, addresses, gateways, upstreams}
///
/// so that a network's records are one range read and an attachment's one get.
enum DNSRecordKeys {
    static let root = "dns/"

    static func network(_ network: NetworkName) -> String { root + "\(network)/" }

    static func record(_ owner: AttachmentID) -> String { root + owner.text }

    /// The owner a record key names, or `nil` for a key of another shape.
    static func owner(fromKey key: String) -> AttachmentID? {
        guard key.unicodeScalars.starts(with: root.unicodeScalars) else { return nil }
        return AttachmentID(text: String(String.UnicodeScalarView(key.unicodeScalars.dropFirst(root.unicodeScalars.count))))
    }
}
