import Addressing

/// One allocation range inside a subnet (host-local's `range`): addresses `start...end` may be
/// leased, except the network address, the gateway and the IPv4 broadcast address.
public struct IPRange: Sendable, Equatable {
    public let subnet: Subnet
    public let start: IPAddress
    public let end: IPAddress
    public let gateway: IPAddress?

    /// Applies host-local's defaults and checks: the subnet must leave room for hosts, `start` and
    /// `end` default to the first and last usable address and must lie inside the subnet in order,
    /// and the gateway defaults to the first address.
    public init(subnet: Subnet, start: IPAddress? = nil, end: IPAddress? = nil, gateway: IPAddress? = nil) throws {
        let hostBits = subnet.family.bitWidth - subnet.prefixLength
        guard hostBits >= 2 else {
            throw IPAMError.invalidConfig("network \(subnet) too small to allocate from")
        }
        let start = start ?? subnet.network.advanced(by: 1)
        // IPv4 keeps its broadcast address out; IPv6 has none, so its last address is usable.
        let end = end ?? (subnet.family == .ipv4 ? subnet.lastAddress.advanced(by: -1) : subnet.lastAddress)
        for (key, address) in [("rangeStart", start), ("rangeEnd", end)] where !subnet.contains(address) {
            throw IPAMError.invalidConfig("\(key) \(address) is not inside subnet \(subnet)")
        }
        guard start <= end else {
            throw IPAMError.invalidConfig("rangeStart \(start) is after rangeEnd \(end) in subnet \(subnet)")
        }
        let gateway = gateway ?? subnet.network.advanced(by: 1)
        guard subnet.contains(gateway) else {
            throw IPAMError.invalidConfig("gateway \(gateway) is not inside subnet \(subnet)")
        }
        self.subnet = subnet
        self.start = start
        self.end = end
        self.gateway = gateway
    }

    public var family: AddressFamily { subnet.family }

    /// Whether `address` may be leased from this range.
    public func canLease(_ address: IPAddress) -> Bool {
        guard address.family == family, start <= address, address <= end else { return false }
        return reservationReason(address) == nil
    }

    /// Why an address inside the subnet can never be leased, or `nil` if it can be.
    public func reservationReason(_ address: IPAddress) -> String? {
        if address == gateway { return "is the gateway of \(subnet)" }
        if address == subnet.network { return "is the network address of \(subnet)" }
        if family == .ipv4, address == subnet.lastAddress { return "is the broadcast address of \(subnet)" }
        return nil
    }

    public func overlaps(_ other: IPRange) -> Bool {
        family == other.family && start <= other.end && other.start <= end
    }
}

extension IPRange: CustomStringConvertible {
    public var description: String { "\(start)-\(end)" }
}
