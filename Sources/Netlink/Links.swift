import Addressing
import CNetlink

/// Looking links up and removing them.
extension NetlinkSocket {
    /// The link called `name`, or `nil` if there is none. One `RTM_GETLINK` request, no dump.
    public func link(named name: InterfaceName) throws -> Link? {
        try fetchLink("look up link \(name)", index: 0, name: name.rawValue)
    }

    /// The link with interface index `index`, or `nil` if there is none. One `RTM_GETLINK` request.
    public func link(index: Int) throws -> Link? {
        try fetchLink("look up link index \(index)", index: Int32(index), name: nil)
    }

    /// Every link in the socket's namespace (a full dump: for inventory and garbage collection, not for
    /// the hot path).
    public func links() throws -> [Link] {
        try dump("list links", fill: { rtnl_link_alloc_cache(handle, AF_UNSPEC, $0) }) { Link(libnl: $0) }
    }

    /// Deletes the link with index `index`; deleting one end of a veth pair deletes both. Returns once
    /// the link has left the namespace; `removal` says who waits for the kernel to free it.
    ///
    /// - Returns: `false` if there was no such link (which is not an error).
    @discardableResult
    public func deleteLink(index: Int, removal: LinkRemovalStrategy = .inProcess) throws -> Bool {
        try LinkRemoval(index: index, operation: "delete link index \(index)", on: self, strategy: removal).run()
    }

    /// Deletes the link called `name`, like `deleteLink(index:removal:)`.
    ///
    /// - Returns: `false` if there was no such link (which is not an error).
    @discardableResult
    public func deleteLink(named name: InterfaceName, removal: LinkRemovalStrategy = .inProcess) throws -> Bool {
        guard let link = try link(named: name) else { return false }
        return try LinkRemoval(index: link.index, operation: "delete link \(name)", on: self, strategy: removal).run()
    }

    private func fetchLink(_ operation: String, index: Int32, name: String?) throws -> Link? {
        var found: OpaquePointer?
        do {
            try perform(operation) { rtnl_link_get_kernel(handle, index, name, &found) }
        } catch NetlinkError.notFound {
            return nil
        }
        guard let found else { return nil }
        defer { rtnl_link_put(found) }
        return Link(libnl: found)
    }
}
