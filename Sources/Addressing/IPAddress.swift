/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Comparable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family; `nil` if the text is neither.
    @inlinable
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if text.contains(":"), let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: AddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// Number of bits in an address of this family (32 or 128).
    public var bitWidth: Int { family.bitWidth }

    /// Octets in network order (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.bytes
        case .v6(let a): a.bytes
        }
    }

    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(bytes: bytes)!)
        case 16: self = .v6(IPv6Address(bytes: bytes)!)
        default: return nil
        }
    }

    /// True for 169.254.0.0/16 and fe80::/10, which never leave their link.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): a.value >> 16 == 0xA9FE
        case .v6(let a): a.high >> 54 == 0x3FA
        }
    }

    /// The address `n` steps further (negative: back), wrapping around the family's address space.
    public func advanced(by n: Int) -> IPAddress {
        switch self {
        case .v4(let a):
            return .v4(IPv4Address(UInt32(truncatingIfNeeded: Int64(a.value) &+ Int64(n))))
        case .v6(let a):
            let (low, carry) = n >= 0
                ? a.low.addingReportingOverflow(UInt64(n))
                : a.low.subtractingReportingOverflow(UInt64(-n))
            let high = carry ? (n >= 0 ? a.high &+ 1 : a.high &- 1) : a.high
            return .v6(IPv6Address(high: high, low: low))
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case let (.v4(a), .v4(b)): a < b
        case let (.v6(a), .v6(b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

/// The two IP families; raw values are the kernel's `AF_INET` and `AF_INET6`.
public enum AddressFamily: Int32, Sendable, CaseIterable {
    case ipv4 = 2
    case ipv6 = 10

    public var bitWidth: Int { self == .ipv4 ? 32 : 128 }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}

extension IPAddress: StringCodable {
    public static func refusal(_ text: String) -> String { "\"\(text)\" is not an IP address" }
}
