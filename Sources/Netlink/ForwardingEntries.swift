import Addressing
import CNetlink

/// A device's own forwarding database (`NTF_SELF` entries of the `AF_BRIDGE` neighbour family), which a
/// VXLAN device consults to pick the remote endpoint of each destination MAC.
extension NetlinkSocket {
    /// The permanent entries of device `index`'s own table (not those of the bridge it is a port of).
    public func forwardingEntries(index: Int) throws -> [ForwardingEntry] {
        // A neighbour dump of AF_UNSPEC leaves forwarding entries out: the cache must ask for AF_BRIDGE.
        try dump("list forwarding entries of link index \(index)", fill: { cache in
            let allocated = nl_cache_alloc_name("route/neigh", cache)
            guard allocated >= 0, let created = cache.pointee else { return allocated }
            nl_cache_set_arg1(created, AF_BRIDGE)
            return nl_cache_refill(handle, created)
        }) { entry in
            guard rtnl_neigh_get_family(entry) == AF_BRIDGE, Int(rtnl_neigh_get_ifindex(entry)) == index,
                  rtnl_neigh_get_flags(entry) & UInt32(NTF_SELF) != 0,
                  rtnl_neigh_get_state(entry) & Int32(NUD_PERMANENT) != 0,
                  let mac = MACAddress(libnl: rtnl_neigh_get_lladdr(entry)) else { return nil }
            return ForwardingEntry(mac: mac, destination: IPAddress(libnl: rtnl_neigh_get_dst(entry)), index: index)
        }
    }

    /// Points `entry.mac` at `entry.destination` on its device, replacing where it pointed before
    /// (`bridge fdb replace ... self permanent`).
    public func replaceForwardingEntry(_ entry: ForwardingEntry) throws {
        let object = try forwardingObject(entry)
        defer { rtnl_neigh_put(object) }
        rtnl_neigh_set_state(object, Int32(NUD_PERMANENT))
        try perform("replace forwarding entry \(entry.mac) -> \(entry.destination.map(\.description) ?? "-") on link index \(entry.index)") {
            rtnl_neigh_add(handle, object, NLM_F_CREATE | NLM_F_REPLACE)
        }
    }

    /// Removes the entry for `entry.mac` (towards `entry.destination` when it names one).
    ///
    /// - Returns: `false` if there was none (which is not an error).
    @discardableResult
    public func deleteForwardingEntry(_ entry: ForwardingEntry) throws -> Bool {
        let object = try forwardingObject(entry)
        defer { rtnl_neigh_put(object) }
        return try performDelete("delete forwarding entry \(entry.mac) on link index \(entry.index)") {
            rtnl_neigh_delete(handle, object, 0)
        }
    }

    private func forwardingObject(_ entry: ForwardingEntry) throws -> OpaquePointer {
        let object = try allocate("a forwarding entry") { rtnl_neigh_alloc() }
        do {
            rtnl_neigh_set_ifindex(object, Int32(entry.index))
            try withLibnlAddress(entry.mac) { rtnl_neigh_set_lladdr(object, $0) }
            if let destination = entry.destination {
                try withLibnlAddress(destination) { address in
                    try perform("set forwarding destination \(destination)") { rtnl_neigh_set_dst(object, address) }
                }
            }
            // After the destination, which would otherwise give the entry its own (IP) family.
            rtnl_neigh_set_family(object, AF_BRIDGE)
            rtnl_neigh_set_flags(object, UInt32(NTF_SELF))
            return object
        } catch {
            rtnl_neigh_put(object)
            throw error
        }
    }
}
