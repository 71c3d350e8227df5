import Addressing
import Netlink

/// Makes the links a topology describes, in whichever namespaces their ends live, each one fully
/// configured (alias, addresses, bridge, MTU, up) or not at all: if configuring fails, the link is deleted
/// before the error is thrown. What `lab up` and `netctl veth|bridge add` share.
///
/// One netlink socket per namespace, opened on first use. Not thread-safe, like the sockets it holds.
public final class LinkBuilder {
    private var sockets: [NamespaceName?: NetlinkSocket] = [:]
    private var namespaces: [NamespaceName: NetworkNamespace] = [:]

    public init() {}

    /// The socket working on `namespace` (the host's when `nil`).
    public func socket(_ namespace: NamespaceName?) throws -> NetlinkSocket {
        if let socket = sockets[namespace] { return socket }
        let socket = try namespace.map { try NetlinkSocket(in: self.namespace($0)) } ?? NetlinkSocket()
        sockets[namespace] = socket
        return socket
    }

    /// The handle on the named namespace, opened on first use.
    public func namespace(_ name: NamespaceName) throws -> NetworkNamespace {
        if let namespace = namespaces[name] { return namespace }
        let namespace = try NetworkNamespace.open(named: name.rawValue)
        namespaces[name] = namespace
        return namespace
    }

    /// Forgets the socket and handle of a namespace about to be deleted, so this process does not keep it
    /// alive.
    public func forget(_ name: NamespaceName) {
        sockets[name] = nil
        namespaces[name] = nil
    }

    /// The link `end` names, in its namespace, or `nil`.
    public func existing(_ end: LinkEnd) throws -> Link? {
        try socket(end.namespace).link(named: end.name)
    }

    /// Each `create` makes the link down under `staging` when one is given, configures it (alias first),
    /// and only then renames it to its own name and brings it up: so the name never belongs to a link of
    /// ours that lacks its alias, and a crash part-way leaves at most a link under the staging name.
    public func createBridge(_ bridge: BridgeSpec, alias: String?, staging: InterfaceName? = nil) throws {
        try make(bridge, staging: staging, alias: alias) { name in
            try socket(bridge.namespace).createBridge(name: name, mtu: bridge.mtu, up: false)
        }
    }

    /// Creates the pair with end `b` made directly in its namespace, so it never appears in `a`'s; `a`
    /// is the end staged and checked.
    public func createVeth(_ veth: VethSpec, alias: String?, staging: InterfaceName? = nil) throws {
        let peerNamespace = try veth.b.namespace.map { try namespace($0) }
        try make(veth.a, also: [veth.b], staging: staging, alias: alias) { name in
            try socket(veth.a.namespace).createVeth(name: name, mtu: veth.a.mtu, up: false, peerName: veth.b.name,
                                                    peerNamespace: peerNamespace)
        }
    }

    public func createVxlan(_ vxlan: VxlanSpec, alias: String?, staging: InterfaceName? = nil) throws {
        let socket = try socket(vxlan.link.namespace)
        let device = try vxlan.device.map { name in
            guard let link = try socket.link(named: name) else {
                throw NetlinkError.notFound("underlay device \(name) of vxlan \(vxlan.link.name) in \(Topology.place(vxlan.link.namespace))")
            }
            return link.index
        }
        let settings = VxlanSettings(vni: vxlan.vni, remote: vxlan.remote, local: vxlan.local, port: vxlan.port, deviceIndex: device)
        try make(vxlan.link, staging: staging, alias: alias) { name in
            try socket.createVxlan(name: name, settings, mtu: vxlan.link.mtu, up: false)
        }
    }

    /// Runs `create` with the name to make the link under, configures it and `also` (a veth's peer), then
    /// gives it its own name and brings it up. If anything fails, deletes the link under whichever name it
    /// has by then and rethrows.
    private func make(_ end: LinkEnd, also others: [LinkEnd] = [], staging: InterfaceName?, alias: String?,
                      create: (InterfaceName) throws -> Void) throws {
        var current = end
        if let staging { current.name = staging }
        try create(current.name)
        do {
            try configure(current, alias: alias)
            for other in others {
                try configure(other, alias: alias)
                try setUp(other)
            }
            if current.name != end.name {
                try socket(end.namespace).rename(index: index(of: current), to: end.name)
                current = end
            }
            try setUp(current)
        } catch {
            _ = try? delete(current)
            throw error
        }
    }

    /// Deletes the link `end` names (with its peer, for a veth).
    ///
    /// - Returns: `false` if there was none.
    @discardableResult
    public func delete(_ end: LinkEnd) throws -> Bool {
        try socket(end.namespace).deleteLink(named: end.name)
    }

    /// Adds each of `end`'s addresses its link lacks.
    ///
    /// - Returns: whether any was added.
    @discardableResult
    public func ensureAddresses(_ end: LinkEnd) throws -> Bool {
        let socket = try socket(end.namespace)
        guard let link = try socket.link(named: end.name) else {
            throw NetlinkError.notFound("link \(end.name) in \(Topology.place(end.namespace))")
        }
        let present = Set(try socket.addresses(index: link.index))
        var added = false
        for address in end.addresses where !present.contains(address) {
            try socket.addAddress(address, index: link.index, noDAD: true)
            added = true
        }
        return added
    }

    private func index(of end: LinkEnd) throws -> Int {
        guard let link = try socket(end.namespace).link(named: end.name) else {
            throw NetlinkError.notFound("link \(end.name) in \(Topology.place(end.namespace))")
        }
        return link.index
    }

    /// Sets the alias, MTU, bridge and addresses; leaves the link down.
    private func configure(_ end: LinkEnd, alias: String?) throws {
        let socket = try socket(end.namespace)
        guard let link = try socket.link(named: end.name) else {
            throw NetlinkError.notFound("link \(end.name) in \(Topology.place(end.namespace))")
        }
        if let alias { try socket.setAlias(index: link.index, alias) }
        if let mtu = end.mtu, mtu != link.mtu { try socket.setMTU(index: link.index, mtu: mtu) }
        if let master = end.master {
            guard let bridge = try socket.link(named: master) else {
                throw NetlinkError.notFound("bridge \(master) for \(end.name) in \(Topology.place(end.namespace))")
            }
            try socket.setMaster(index: link.index, masterIndex: bridge.index)
        }
        for address in end.addresses { try socket.addAddress(address, index: link.index, noDAD: true) }
    }

    private func setUp(_ end: LinkEnd) throws {
        try socket(end.namespace).setUp(index: index(of: end))
    }

    /// Brings `lo` up in the namespace, which a new namespace has down.
    public func bringUpLoopback(_ name: NamespaceName) throws {
        let socket = try socket(name)
        if let loopback = try socket.link(named: InterfaceName("lo")!), !loopback.isUp { try socket.setUp(index: loopback.index) }
    }
}
