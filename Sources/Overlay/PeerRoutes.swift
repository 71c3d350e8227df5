import Addressing
import Netlink

/// What one host's VXLAN device of a routed overlay must hold for the other hosts, as flannel's
/// VXLAN backend programs it: per peer host, a route to its subnet via its device's address
/// (`onlink`, over this device), that address at its device's MAC (neighbour table) and that MAC
/// behind its VTEP (forwarding database). Nothing else: what is not here is removed.
public struct PeerRoutes: Equatable, Sendable {
    public var entries = PeerEntries()
    /// Peer subnet → its device's address, the next hop.
    public var routes: [Subnet: IPAddress] = [:]

    /// The entries the host subnets of overlay `vni` call for on host `host`: those of the others.
    public init(vni: UInt32, host: String, subnets: some Sequence<HostSubnetRecord>) {
        for record in subnets where record.vni == vni && record.host != host {
            entries.forwarding[record.mac] = record.vtep
            entries.neighbours[record.deviceAddress] = record.mac
            routes[record.subnet] = record.deviceAddress
        }
    }

    /// Makes device `index` hold exactly these entries and routes. Neighbour and forwarding entries
    /// go first, so a new route's first packet finds its next hop resolved.
    @discardableResult
    public func apply(toDevice index: Int, on socket: NetlinkSocket) throws -> PeerChanges {
        var changes = try entries.apply(toDevice: index, on: socket)
        let present = try socket.routes(family: .ipv4).filter { $0.outputIndex == index && $0.gateway != nil }
        var presentHops: [Subnet: IPAddress] = [:]
        for route in present { presentHops[route.destination] = route.gateway }
        for (subnet, hop) in routes where presentHops[subnet] != hop {
            if presentHops[subnet] != nil {
                try socket.deleteRoute(Route(destination: subnet, outputIndex: index))
            }
            try socket.addRoute(Route(destination: subnet, gateway: hop, outputIndex: index, onLink: true))
            changes.added += 1
        }
        for route in present where routes[route.destination] == nil {
            if try socket.deleteRoute(route) { changes.removed += 1 }
        }
        return changes
    }
}
