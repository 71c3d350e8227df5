#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address, stored in host byte order so arithmetic and ordering are plain integer operations.
public struct IPv4Address: Hashable, Comparable, Sendable {
    /// The address as a 32-bit integer, most significant octet first (10.0.0.1 is 0x0A000001).
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad notation; `nil` for anything else.
    ///
    /// Inlinable, as the other text parsers here, so that each caller gets a copy specialized for its
    /// string type. Unspecialized, the parser looks up the generic type's associated types at run
    /// time, and the first such lookup in a process scans every protocol conformance in the binary
    /// (about 70,000 instructions; a plugin process parses a handful of addresses and exits).
    @inlinable
    public init?(_ text: some StringProtocol) {
        var octets: [UInt32] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            octets.append(octet)
        }
        guard octets.count == 4 else { return nil }
        value = octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3]
    }

    /// The four octets in network order.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

extension IPv4Address: CustomStringConvertible {
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

extension Character {
    @usableFromInline
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
