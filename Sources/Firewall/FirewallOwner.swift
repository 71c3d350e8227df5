import Identity

/// Who an element belongs to: one client's part of one attachment. Every element we add carries
/// the owner's text as its comment, and the owner's record (see `OwnerRecord`) lists them all, so
/// removing an owner removes exactly what it added, without the container's namespace.
public struct FirewallOwner: Hashable, Sendable, CustomStringConvertible {
    public let role: Role
    public let attachment: AttachmentID

    /// The longest owner text: the longest role, a space, the longest attachment. It leaves room for
    /// a record in an element's 256 bytes of user data.
    static let maximumTextLength = Role.maximumLength + 1 + AttachmentID.maximumTextLength

    public init(role: Role, attachment: AttachmentID) {
        self.role = role
        self.attachment = attachment
    }

    /// Parses `text`; `nil` for anything that is not an owner text.
    init?(text: String) {
        let halves = text.unicodeScalars.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count == 2, let role = Role(rawValue: String(halves[0])),
              let attachment = AttachmentID(text: String(halves[1])) else { return nil }
        self.init(role: role, attachment: attachment)
    }

    /// `<role> mynet/4f2a.../eth0`: the comment `nft list table` shows beside each element.
    public var text: String { "\(role.rawValue) \(attachment.text)" }

    public var description: String { text }

    /// The key of the owner's record chunk `chunk` in the `owners` set: 14 hex digits of the
    /// attachment's hash qualified by the role, then the chunk number, NUL-terminated like any
    /// interface name (so `nft` can name it too). The record itself holds the full text, so a hash
    /// collision is detected rather than trusted.
    func recordKey(chunk: Int) -> [UInt8] {
        precondition((0..<OwnerRecord.maximumChunks).contains(chunk))
        let hash = attachment.hash(qualifiedBy: "\(role.rawValue) ")
        let digits = Array("0123456789abcdef".utf8)
        var key = (0..<14).map { i in digits[Int((hash >> (UInt64(13 - i) * 4)) & 0xf)] }
        key.append(Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)[chunk])
        return key + [0]
    }
}
