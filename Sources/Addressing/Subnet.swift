/// A network in CIDR notation with no host bits set, such as `10.22.0.0/16` or `fd00:1::/64`.
public struct Subnet: Hashable, Sendable {
    /// The network address (all host bits zero).
    public let network: IPAddress
    public let prefixLength: Int

    /// Creates the subnet that contains `address`, clearing host bits.
    public init(containing address: IPAddress, prefixLength: Int) {
        precondition((0...address.bitWidth).contains(prefixLength), "prefix length out of range")
        self.network = address.masked(toPrefix: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/n` or `x::/n`; `nil` if malformed or if host bits are set.
    @inlinable
    public init?(_ text: some StringProtocol) {
        guard let cidr = InterfaceAddress(text), cidr.address == cidr.subnet.network else { return nil }
        self = cidr.subnet
    }

    public var family: AddressFamily { network.family }

    /// The last address of the subnet (the IPv4 broadcast address).
    public var lastAddress: IPAddress {
        network.masked(toPrefix: prefixLength, fillHostBits: true)
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.masked(toPrefix: prefixLength) == network
    }

    /// True when the two subnets share at least one address.
    public func overlaps(_ other: Subnet) -> Bool {
        contains(other.network) || other.contains(network)
    }

    /// The default route's destination for a family (`0.0.0.0/0` or `::/0`).
    public static func defaultRoute(_ family: AddressFamily) -> Subnet {
        switch family {
        case .ipv4: Subnet(containing: .v4(IPv4Address(0)), prefixLength: 0)
        case .ipv6: Subnet(containing: .v6(IPv6Address(high: 0, low: 0)), prefixLength: 0)
        }
    }
}

extension Subnet: CustomStringConvertible {
    public var description: String { "\(network)/\(prefixLength)" }
}

extension Subnet: StringCodable {
    public static func refusal(_ text: String) -> String { "\"\(text)\" is not a subnet in CIDR notation without host bits" }
}

extension IPAddress {
    /// Keeps the first `prefix` bits; the rest become zero, or one with `fillHostBits`.
    public func masked(toPrefix prefix: Int, fillHostBits: Bool = false) -> IPAddress {
        switch self {
        case .v4(let a):
            let mask: UInt32 = prefix == 0 ? 0 : ~0 << (32 - prefix)
            return .v4(IPv4Address(fillHostBits ? a.value | ~mask : a.value & mask))
        case .v6(let a):
            let highMask: UInt64 = prefix == 0 ? 0 : (prefix >= 64 ? ~0 : ~0 << (64 - prefix))
            let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? ~0 : ~0 << (128 - prefix))
            return fillHostBits
                ? .v6(IPv6Address(high: a.high | ~highMask, low: a.low | ~lowMask))
                : .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }
}
