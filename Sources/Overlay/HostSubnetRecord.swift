import Addressing
import JSON

/// What a host of a routed overlay publishes under `vxlan/subnets/<network>/<subnet>`, on a lease
/// its agent keeps alive: every peer routes `subnet` through the tunnel to `vtep`. The VXLAN
/// device holds the host subnet's network address (`deviceAddress`), the bridge its gateway.
public struct HostSubnetRecord: Codable, Hashable, Sendable {
    public var host: String
    public var subnet: Subnet
    public var vtep: IPAddress
    /// The MAC of the host's VXLAN device.
    public var mac: MACAddress
    public var vni: UInt32
    /// Set while the host has no container on the subnet: the key is on a lease of the grace period
    /// instead of the agent's (see `HostSubnetRetirement`).
    public var retiring: Bool?

    public init(host: String, subnet: Subnet, vtep: IPAddress, mac: MACAddress, vni: UInt32) {
        self.host = host
        self.subnet = subnet
        self.vtep = vtep
        self.mac = mac
        self.vni = vni
    }

    /// The VXLAN device's address: the next hop of the peers' routes to this subnet.
    public var deviceAddress: IPAddress { .v4(subnet.ipv4Address(0)) }
    /// The gateway on the host's bridge.
    public var gateway: IPAddress { .v4(subnet.ipv4Address(1)) }

    public func encoded() throws -> [UInt8] { try JSONCodec.encode(self) }

    /// `nil` for a value that is not a record, which readers skip.
    public init?(stored value: [UInt8]) {
        guard let record = try? JSONCodec.decode(HostSubnetRecord.self, from: value) else { return nil }
        self = record
    }
}
