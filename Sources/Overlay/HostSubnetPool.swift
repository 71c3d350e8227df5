import Addressing

/// A routed overlay's IPv4 `subnet` cut into equal host subnets of `/hostPrefix`, one per host, as
/// flannel cuts its network. The first host subnet is left out: its first address is the network's
/// own, which many tools take for the network itself.
public struct HostSubnetPool: Sendable, Equatable {
    public let network: Subnet
    public let hostPrefix: Int

    /// `nil` unless `network` is IPv4 and `hostPrefix` cuts it into at least two host subnets of at
    /// least four addresses (a gateway, the VXLAN device's address and one container).
    public init?(network: Subnet, hostPrefix: Int) {
        guard network.family == .ipv4, hostPrefix > network.prefixLength, hostPrefix <= 30 else { return nil }
        self.network = network
        self.hostPrefix = hostPrefix
    }

    /// How many host subnets the pool has (the first left out).
    public var count: Int { (1 << (hostPrefix - network.prefixLength)) - 1 }

    /// The `index`th host subnet, from 0.
    public func subnet(_ index: Int) -> Subnet {
        guard case .v4(let base) = network.network else { preconditionFailure("an IPv4 pool") }
        let start = base.value + UInt32(index + 1) << UInt32(32 - hostPrefix)
        return Subnet(containing: .v4(IPv4Address(start)), prefixLength: hostPrefix)
    }

    /// Whether `subnet` is one of the pool's host subnets.
    public func contains(_ subnet: Subnet) -> Bool {
        subnet.prefixLength == hostPrefix && network.contains(subnet.network) && subnet != self.subnet(-1)
    }

    /// The host subnet to claim: `preferred` when it is the pool's and free, else the first free one;
    /// `nil` when every one is taken.
    public func choose(taken: Set<Subnet>, preferred: Subnet? = nil) -> Subnet? {
        if let preferred, contains(preferred), !taken.contains(preferred) { return preferred }
        return (0..<count).lazy.map(subnet).first { !taken.contains($0) }
    }
}

extension Subnet {
    /// The `offset`th address of an IPv4 subnet (0 is its network address).
    public func ipv4Address(_ offset: UInt32) -> IPv4Address {
        guard case .v4(let base) = network else { preconditionFailure("an IPv4 subnet") }
        return IPv4Address(base.value + offset)
    }
}
