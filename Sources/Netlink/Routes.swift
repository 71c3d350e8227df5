import Addressing
import CNetlink

/// Routes.
extension NetlinkSocket {
    /// The unicast routes of `table` (the main table unless given), optionally of one family. A route with
    /// several next hops is reported with its first.
    public func routes(family: AddressFamily? = nil, table: Int = Route.mainTable) throws -> [Route] {
        let kernelFamily = family?.rawValue ?? AF_UNSPEC
        return try dump("list routes", fill: { rtnl_route_alloc_cache(handle, kernelFamily, 0, $0) }) { entry in
            guard Int(rtnl_route_get_table(entry)) == table,
                  rtnl_route_get_type(entry) == RTN_UNICAST,
                  let family = AddressFamily(rawValue: Int32(rtnl_route_get_family(entry))) else { return nil }
            return Route(libnl: entry, family: family)
        }
    }

    /// Adds `route`.
    ///
    /// - Throws: `NetlinkError.exists` if the table already has a route to that destination with the same
    ///   priority.
    public func addRoute(_ route: Route) throws {
        let entry = try routeObject(route)
        defer { rtnl_route_put(entry) }
        try perform("add route \(route)") { rtnl_route_add(handle, entry, NLM_F_EXCL) }
    }

    /// Deletes `route`, matched by destination, table and whichever of gateway, interface and priority it
    /// names.
    ///
    /// - Returns: `false` if there was no such route (which is not an error).
    @discardableResult
    public func deleteRoute(_ route: Route) throws -> Bool {
        let entry = try routeObject(route)
        defer { rtnl_route_put(entry) }
        return try performDelete("delete route \(route)") { rtnl_route_delete(handle, entry, 0) }
    }

    private func routeObject(_ route: Route) throws -> OpaquePointer {
        let entry = try allocate("a route") { rtnl_route_alloc() }
        do {
            try perform("set family of route \(route)") {
                rtnl_route_set_family(entry, UInt8(route.family.rawValue))
            }
            let destination = route.destination
            try withLibnlAddress(destination.network, prefixLength: destination.prefixLength) { network in
                try perform("set destination of route \(route)") { rtnl_route_set_dst(entry, network) }
            }
            rtnl_route_set_table(entry, UInt32(route.table))
            rtnl_route_set_scope(entry, route.scope.rawValue)
            if let priority = route.priority { rtnl_route_set_priority(entry, UInt32(priority)) }
            if let mtu = route.mtu {
                try perform("set MTU of route \(route)") {
                    rtnl_route_set_metric(entry, Int32(RTAX_MTU), UInt32(mtu))
                }
            }
            if route.gateway != nil || route.outputIndex != nil {
                let hop = try allocate("a next hop") { rtnl_route_nh_alloc() }
                if let index = route.outputIndex { rtnl_route_nh_set_ifindex(hop, Int32(index)) }
                if route.onLink { rtnl_route_nh_set_flags(hop, UInt32(RTNH_F_ONLINK)) }
                if let gateway = route.gateway {
                    try withLibnlAddress(gateway) { rtnl_route_nh_set_gateway(hop, $0) }
                }
                rtnl_route_add_nexthop(entry, hop)  // the route owns the hop from here
            }
            return entry
        } catch {
            rtnl_route_put(entry)
            throw error
        }
    }
}

extension Route {
    /// Reads a libnl `struct rtnl_route`.
    init(libnl entry: OpaquePointer, family: AddressFamily) {
        let destination = rtnl_route_get_dst(entry)
        let network = IPAddress(libnl: destination)
        let hop = rtnl_route_get_nnexthops(entry) > 0 ? rtnl_route_nexthop_n(entry, 0) : nil
        var mtu: UInt32 = 0
        let hasMTU = rtnl_route_get_metric(entry, Int32(RTAX_MTU), &mtu) == 0 && mtu != 0
        self.init(
            destination: network.map { Subnet(containing: $0, prefixLength: Int(nl_addr_get_prefixlen(destination))) }
                ?? .defaultRoute(family),
            gateway: hop.flatMap { IPAddress(libnl: rtnl_route_nh_get_gateway($0)) },
            outputIndex: hop.flatMap { Int(rtnl_route_nh_get_ifindex($0)).nonZero },
            scope: RouteScope(rawValue: rtnl_route_get_scope(entry)),
            table: Int(rtnl_route_get_table(entry)),
            mtu: hasMTU ? Int(mtu) : nil,
            priority: Int(rtnl_route_get_priority(entry)).nonZero,
            onLink: hop.map { rtnl_route_nh_get_flags($0) & UInt32(RTNH_F_ONLINK) != 0 } ?? false)
    }
}
