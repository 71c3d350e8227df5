import Addressing
import CNetlink

/// The ARP and NDP neighbour tables. The VXLAN overlay enters the addresses of its peers here itself
/// rather than having them learnt.
extension NetlinkSocket {
    /// The IPv4 and IPv6 neighbour entries of link `index`, optionally of one family.
    public func neighbours(index: Int, family: AddressFamily? = nil) throws -> [Neighbour] {
        try dump("list neighbours of link index \(index)", fill: { rtnl_neigh_alloc_cache(handle, $0) }) { entry in
            // Only IP entries are neighbours here (forwarding entries need a dump of their own, see
            // `forwardingEntries`).
            guard Int(rtnl_neigh_get_ifindex(entry)) == index,
                  let entryFamily = AddressFamily(rawValue: rtnl_neigh_get_family(entry)),
                  family.map({ $0 == entryFamily }) ?? true,
                  let address = IPAddress(libnl: rtnl_neigh_get_dst(entry)) else { return nil }
            return Neighbour(address: address, mac: MACAddress(libnl: rtnl_neigh_get_lladdr(entry)), index: index,
                             state: NeighbourState(rawValue: UInt16(truncatingIfNeeded: rtnl_neigh_get_state(entry))))
        }
    }

    /// Adds a permanent entry mapping `address` to `mac` on link `index`.
    ///
    /// - Throws: `NetlinkError.exists` if the link already has an entry for `address`.
    public func addNeighbour(_ address: IPAddress, mac: MACAddress, index: Int) throws {
        try writeNeighbour(address, mac: mac, index: index, flags: NLM_F_CREATE | NLM_F_EXCL,
                           "add neighbour \(address) at \(mac) on link index \(index)")
    }

    /// Adds an entry (permanent unless `state` says otherwise) mapping `address` to `mac` on link
    /// `index`, replacing any entry for `address`.
    public func replaceNeighbour(_ address: IPAddress, mac: MACAddress, index: Int, state: NeighbourState = .permanent) throws {
        try writeNeighbour(address, mac: mac, index: index, flags: NLM_F_CREATE | NLM_F_REPLACE, state: state,
                           "replace neighbour \(address) at \(mac) on link index \(index)")
    }

    /// Removes the entry for `address` on link `index`.
    ///
    /// - Returns: `false` if there was none (which is not an error).
    @discardableResult
    public func deleteNeighbour(_ address: IPAddress, index: Int) throws -> Bool {
        let entry = try neighbourObject(address, index: index)
        defer { rtnl_neigh_put(entry) }
        return try performDelete("delete neighbour \(address) on link index \(index)") { rtnl_neigh_delete(handle, entry, 0) }
    }

    private func writeNeighbour(_ address: IPAddress, mac: MACAddress, index: Int, flags: Int32,
                                state: NeighbourState = .permanent, _ operation: @autoclosure () -> String) throws {
        let entry = try neighbourObject(address, index: index)
        defer { rtnl_neigh_put(entry) }
        try withLibnlAddress(mac) { rtnl_neigh_set_lladdr(entry, $0) }
        rtnl_neigh_set_state(entry, Int32(state.rawValue))
        try perform(operation()) { rtnl_neigh_add(handle, entry, flags) }
    }

    private func neighbourObject(_ address: IPAddress, index: Int) throws -> OpaquePointer {
        let entry = try allocate("a neighbour") { rtnl_neigh_alloc() }
        do {
            rtnl_neigh_set_ifindex(entry, Int32(index))
            rtnl_neigh_set_family(entry, address.family.rawValue)
            try withLibnlAddress(address) { destination in
                try perform("set neighbour address \(address)") { rtnl_neigh_set_dst(entry, destination) }
            }
            return entry
        } catch {
            rtnl_neigh_put(entry)
            throw error
        }
    }
}
