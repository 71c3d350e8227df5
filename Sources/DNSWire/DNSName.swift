/// A domain name as a sequence of labels, without the root label.
///
/// Equality and hashing ignore ASCII case (RFC 4343), so a name can key a dictionary directly; the
/// labels keep the case they were given so that an answer echoes the question as asked.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels, each 1...63 octets.
    public let labels: [[UInt8]]

    /// The longest name on the wire, length octets and root included (RFC 1035 §2.3.4).
    public static let maxWireLength = 255
    /// The longest label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63

    /// The root name.
    public static let root = DNSName(checkedLabels: [])

    init(checkedLabels: [[UInt8]]) { labels = checkedLabels }

    /// Validates labels: each 1...63 octets, the whole at most 255 on the wire.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var length = 1
        for label in labels {
            guard !label.isEmpty, label.count <= Self.maxLabelLength else { throw .badLabel }
            length += label.count + 1
        }
        guard length <= Self.maxWireLength else { throw .nameTooLong }
        self.labels = labels
    }

    /// Parses dotted text ("web.dns.podman", with or without the final dot). No escapes: the names
    /// we serve come from container names and aliases, which hold none.
    public init(_ text: some StringProtocol) throws(DNSWireError) {
        var labels: [[UInt8]] = []
        var trimmed = Substring(text)
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        if !trimmed.isEmpty {
            for part in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                labels.append(Array(part.utf8))
            }
        }
        try self.init(labels: labels)
    }

    /// Octets this name takes uncompressed on the wire.
    public var wireLength: Int { labels.reduce(1) { $0 + $1.count + 1 } }

    /// Whether `suffix` is this name or an ancestor of it, ignoring case.
    public func isSubdomain(of suffix: DNSName) -> Bool {
        guard suffix.labels.count <= labels.count else { return false }
        let offset = labels.count - suffix.labels.count
        for (index, label) in suffix.labels.enumerated() where !Self.equalIgnoringCase(labels[offset + index], label) {
            return false
        }
        return true
    }

    /// The name with `suffix` appended, or `nil` if that is longer than a name may be.
    public func appending(_ suffix: DNSName) -> DNSName? { try? DNSName(labels: labels + suffix.labels) }

    public var description: String {
        labels.isEmpty ? "." : labels.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.labels.count == rhs.labels.count else { return false }
        for (a, b) in zip(lhs.labels, rhs.labels) where !equalIgnoringCase(a, b) { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            hasher.combine(label.count)
            for octet in label { hasher.combine(Self.lowered(octet)) }
        }
    }

    static func lowered(_ octet: UInt8) -> UInt8 { octet &- 0x41 < 26 ? octet | 0x20 : octet }

    static func equalIgnoringCase(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        for index in a.indices where lowered(a[index]) != lowered(b[index]) { return false }
        return true
    }
}
