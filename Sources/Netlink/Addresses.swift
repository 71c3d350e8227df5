import Addressing
import CNetlink

/// IP addresses on links.
extension NetlinkSocket {
    /// The addresses on link `index`, optionally of one family, including IPv6 link-local ones.
    public func addresses(index: Int, family: AddressFamily? = nil) throws -> [InterfaceAddress] {
        try addressesByLink(family: family)[index] ?? []
    }

    /// The addresses of every link in the namespace, keyed by interface index (one dump, for callers that
    /// report on all links).
    public func addressesByLink(family: AddressFamily? = nil) throws -> [Int: [InterfaceAddress]] {
        let entries: [(index: Int, address: InterfaceAddress)] = try dump(
            "list addresses", fill: { rtnl_addr_alloc_cache(handle, $0) }
        ) { entry in
            guard family.map({ $0.rawValue == rtnl_addr_get_family(entry) }) ?? true,
                  let address = IPAddress(libnl: rtnl_addr_get_local(entry)) else { return nil }
            return (index: Int(rtnl_addr_get_ifindex(entry)),
                    address: InterfaceAddress(address: address, prefixLength: Int(rtnl_addr_get_prefixlen(entry))))
        }
        return Dictionary(grouping: entries, by: \.index).mapValues { $0.map(\.address) }
    }

    /// Adds `address` to link `index`. IPv4 addresses shorter than /31 get the subnet's broadcast address,
    /// as `ip addr add ... brd +` would.
    ///
    /// - Parameter noDAD: for IPv6, mark the address `nodad` so it is usable at once instead of staying
    ///   tentative while duplicate address detection runs. Ignored for IPv4.
    /// - Throws: `NetlinkError.exists` if the link already has the address.
    public func addAddress(_ address: InterfaceAddress, index: Int, noDAD: Bool = false) throws {
        let entry = try addressObject(address, index: index)
        defer { rtnl_addr_put(entry) }
        switch address.family {
        case .ipv4 where address.prefixLength < 31:
            try withLibnlAddress(address.subnet.lastAddress) { broadcast in
                try perform("set broadcast of \(address)") { rtnl_addr_set_broadcast(entry, broadcast) }
            }
        case .ipv6 where noDAD:
            rtnl_addr_set_flags(entry, UInt32(IFA_F_NODAD))
        default:
            break
        }
        try perform("add address \(address) to link index \(index)") {
            rtnl_addr_add(handle, entry, NLM_F_EXCL)
        }
    }

    /// Removes `address` from link `index`.
    ///
    /// - Returns: `false` if the link did not have the address (which is not an error).
    @discardableResult
    public func deleteAddress(_ address: InterfaceAddress, index: Int) throws -> Bool {
        let entry = try addressObject(address, index: index)
        defer { rtnl_addr_put(entry) }
        return try performDelete("delete address \(address) from link index \(index)") { rtnl_addr_delete(handle, entry, 0) }
    }

    private func addressObject(_ address: InterfaceAddress, index: Int) throws -> OpaquePointer {
        let entry = try allocate("an address") { rtnl_addr_alloc() }
        do {
            rtnl_addr_set_ifindex(entry, Int32(index))
            rtnl_addr_set_family(entry, address.family.rawValue)
            try withLibnlAddress(address.address, prefixLength: address.prefixLength) { local in
                try perform("set address \(address)") { rtnl_addr_set_local(entry, local) }
            }
            rtnl_addr_set_prefixlen(entry, Int32(address.prefixLength))
            return entry
        } catch {
            rtnl_addr_put(entry)
            throw error
        }
    }
}
