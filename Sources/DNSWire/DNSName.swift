/// A domain name, held as its labels in wire form (each label after its length octet, without the
/// root label): one allocation per name, which is what a zone of 10,000 names and a query's parse
/// mostly consist of.
///
/// Equality and hashing ignore ASCII case (RFC 4343), so a name can key a dictionary directly; the
/// labels keep the case they were given so that an answer echoes the question as asked. Length
/// octets are at most 63, below the letters, so comparing the whole form ignoring case is exact.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Length-prefixed labels, without the root label.
    let wire: [UInt8]

    /// The longest name on the wire, length octets and root included (RFC 1035 §2.3.4).
    public static let maxWireLength = 255
    /// The longest label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63

    /// The root name.
    public static let root = DNSName(uncheckedWire: [])

    init(uncheckedWire: [UInt8]) { wire = uncheckedWire }

    /// Validates labels: each 1...63 octets, the whole at most 255 on the wire.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty, label.count <= Self.maxLabelLength else { throw .badLabel }
            wire.append(UInt8(label.count))
            wire += label
        }
        guard wire.count + 1 <= Self.maxWireLength else { throw .nameTooLong }
        self.wire = wire
    }

    /// Parses dotted text ("web.dns.podman", with or without the final dot). No escapes: the names
    /// we serve come from container names and aliases, which hold none.
    public init(_ text: some StringProtocol) throws(DNSWireError) {
        var trimmed = Substring(text)
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        let labels = trimmed.isEmpty ? [] : trimmed.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
        try self.init(labels: labels)
    }

    /// The labels, each 1...63 octets.
    public var labels: [[UInt8]] { labelOffsets.map { Array(wire[$0 + 1...$0 + Int(wire[$0])]) } }

    /// Where each label's length octet is in `wire`.
    var labelOffsets: [Int] {
        var offsets: [Int] = []
        var offset = 0
        while offset < wire.count {
            offsets.append(offset)
            offset += 1 + Int(wire[offset])
        }
        return offsets
    }

    /// Octets this name takes uncompressed on the wire.
    public var wireLength: Int { wire.count + 1 }

    /// Whether `suffix` is this name or an ancestor of it, ignoring case.
    public func isSubdomain(of suffix: DNSName) -> Bool {
        var offset = 0
        while wire.count - offset > suffix.wire.count { offset += 1 + Int(wire[offset]) }
        guard wire.count - offset == suffix.wire.count else { return false }
        for index in suffix.wire.indices where Self.lowered(wire[offset + index]) != Self.lowered(suffix.wire[index]) {
            return false
        }
        return true
    }

    /// The name with `suffix` appended, or `nil` if that is longer than a name may be.
    public func appending(_ suffix: DNSName) -> DNSName? {
        wire.count + suffix.wire.count + 1 <= Self.maxWireLength ? DNSName(uncheckedWire: wire + suffix.wire) : nil
    }

    public var description: String {
        labels.isEmpty ? "." : labels.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        sameWire(lhs.wire[...], rhs.wire[...])
    }

    /// Whether two names' wire forms (or suffixes of them) are equal, ignoring ASCII case.
    static func sameWire(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (left, right) in zip(lhs, rhs) where lowered(left) != lowered(right) { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(wire.count)
        for octet in wire { hasher.combine(Self.lowered(octet)) }
    }

    static func lowered(_ octet: UInt8) -> UInt8 { octet &- 0x41 < 26 ? octet | 0x20 : octet }
}
