#if canImport(Glibc)
import Glibc
#endif

/// An IPv6 address as two 64-bit halves, most significant first, so ordering and increments are cheap.
public struct IPv6Address: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses any textual form `inet_pton` accepts (compressed, embedded IPv4); `nil` otherwise.
    public init?(_ text: some StringProtocol) {
        var raw = in6_addr()
        let parsed = String(text).withCString { inet_pton(AF_INET6, $0, &raw) }
        guard parsed == 1 else { return nil }
        self.init(bytes: withUnsafeBytes(of: raw) { Array($0) })!
    }

    /// The sixteen octets in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let octets = Array(bytes)
        high = octets[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = octets[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension IPv6Address: CustomStringConvertible {
    /// RFC 5952 canonical text, as `inet_ntop` writes it.
    public var description: String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
