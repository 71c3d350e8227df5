/// Who an element belongs to: one client's part of one attachment. Every element we add carries
/// the owner's text as its comment, and the owner's record (see `OwnerRecord`) lists them all, so
/// removing an owner removes exactly what it added, without the container's namespace.
public struct FirewallOwner: Hashable, Sendable, CustomStringConvertible {
    public let role: Role
    public let network: String
    public let containerID: String
    public let interface: String

    /// The longest owner text that still leaves room for a record in an element's 256 bytes of
    /// user data.
    static let maximumTextLength = 160

    /// `nil` when a part is empty or contains `/` or whitespace (CNI names never do), or the whole is
    /// too long to be recorded.
    public init?(role: Role, network: String, containerID: String, interface: String) {
        for part in [network, containerID, interface] {
            guard !part.isEmpty, !part.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 <= 0x20 }) else {
                return nil
            }
        }
        self.role = role
        self.network = network
        self.containerID = containerID
        self.interface = interface
        guard text.utf8.count <= Self.maximumTextLength else { return nil }
    }

    /// Parses `text`; `nil` for anything that is not an owner text. Split at scalars: an interface
    /// name may begin with a combining mark, which would make one character of it and the `/`.
    init?(text: String) {
        let halves = text.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        guard halves.count == 2, let role = Role(rawValue: String(halves[0])) else { return nil }
        let parts = halves[1].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return nil }
        self.init(role: role, network: parts[0], containerID: parts[1], interface: parts[2])
    }

    /// `<role> mynet/4f2a.../eth0`: the comment `nft list table` shows beside each element.
    public var text: String { "\(role.rawValue) \(network)/\(containerID)/\(interface)" }

    public var description: String { text }

    /// The key of the owner's record chunk `chunk` in the `owners` set: 14 hex digits of a hash of
    /// the owner text, then the chunk number, NUL-terminated like any interface name (so `nft` can
    /// name it too). The record itself holds the full text, so a hash collision is detected rather
    /// than trusted.
    func recordKey(chunk: Int) -> [UInt8] {
        precondition((0..<OwnerRecord.maximumChunks).contains(chunk))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let digits = Array("0123456789abcdef".utf8)
        var key = (0..<14).map { i in digits[Int((hash >> (UInt64(13 - i) * 4)) & 0xf)] }
        key.append(Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)[chunk])
        return key + [0]
    }
}
