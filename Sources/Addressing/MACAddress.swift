/// A 48-bit Ethernet hardware address.
public struct MACAddress: Hashable, Sendable {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (also with `-` separators, any case).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            octets.append(octet)
        }
        bytes = octets
    }

    /// A random unicast, locally administered address (as the kernel's `eth_random_addr`).
    public static func randomLocal() -> MACAddress {
        var octets = (0..<6).map { _ in UInt8.random(in: 0...255) }
        octets[0] = octets[0] & 0xFE | 0x02
        return MACAddress(bytes: octets)!
    }

    /// True for a multicast (including broadcast) address, which no interface may own.
    public var isMulticast: Bool { bytes[0] & 1 == 1 }

    /// Whether an interface may own the address: unicast and not all zeros, the kernel's
    /// `is_valid_ether_addr`.
    public var isAssignable: Bool { !isMulticast && bytes.contains { $0 != 0 } }

    /// Why `text` cannot be given to an interface as its MAC, or `nil` if it can.
    public static func assignmentProblem(_ text: some StringProtocol) -> String? {
        guard let mac = MACAddress(text) else { return "is not a MAC address" }
        if mac.isMulticast { return "is a multicast address, which no interface may have" }
        if !mac.isAssignable { return "is all zeros, which no interface may have" }
        return nil
    }
}

extension MACAddress: CustomStringConvertible {
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

extension MACAddress: StringCodable {
    public static func refusal(_ text: String) -> String { "\"\(text)\" is not a MAC address" }
}
