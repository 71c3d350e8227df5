import Addressing
import CNetlink

/// Creating virtual links. Each is one `RTM_NEWLINK` with `NLM_F_EXCL` that carries the link's final name,
/// namespace, address, MTU, master and up state, so the kernel applies them all at creation and no other
/// process sees the link half-configured (a veth peer's up state is the one exception, see `createVeth`).
extension NetlinkSocket {
    /// Creates a bridge.
    ///
    /// - Throws: `NetlinkError.exists` if a link with that name exists (for instance because a concurrent
    ///   process created the bridge first; callers that only need the bridge to exist tolerate it).
    public func createBridge(name: InterfaceName, mtu: Int? = nil, mac: MACAddress? = nil,
                             up: Bool = true) throws {
        let bridge = try allocate("a bridge") { rtnl_link_bridge_alloc() }
        defer { rtnl_link_put(bridge) }
        try configure(bridge, name: name, mac: mac, mtu: mtu, up: up)
        try add(bridge, "create bridge \(name)")
    }

    /// Creates a veth pair in one request: the end called `name` in this socket's namespace and the end
    /// called `peerName` directly inside `peerNamespace` (this socket's namespace if `nil`), so the peer
    /// never appears on the host under a temporary name.
    ///
    /// The peer is created down: the kernel cannot open a veth end before the pair is linked, and fails the
    /// whole request with `ENOTCONN` if asked to. Bring it up with `setUp` on a socket in its namespace
    /// (which the caller needs anyway to address it).
    ///
    /// - Parameters:
    ///   - mtu: MTU of both ends; the kernel default if `nil`.
    ///   - masterIndex: bridge to enslave this end to. The peer can have no master at creation.
    ///   - up: bring this end up.
    /// - Throws: `NetlinkError.exists` if either name is taken in its namespace.
    public func createVeth(name: InterfaceName, mac: MACAddress? = nil, mtu: Int? = nil,
                           masterIndex: Int? = nil, up: Bool = true,
                           peerName: InterfaceName, peerMAC: MACAddress? = nil,
                           peerNamespace: NetworkNamespace? = nil) throws {
        let veth = try allocate("a veth pair") { rtnl_link_veth_alloc() }
        defer { rtnl_link_put(veth) }
        try configure(veth, name: name, mac: mac, mtu: mtu, up: up)
        if let masterIndex { rtnl_link_set_master(veth, Int32(masterIndex)) }

        let peer = try allocate("a veth peer") { rtnl_link_veth_get_peer(veth) }
        defer { rtnl_link_put(peer) }
        try configure(peer, name: peerName, mac: peerMAC, mtu: mtu, up: false)
        for end in [veth, peer] {
            // One queue each way, which is what a veth uses unless told otherwise. Left unsaid, the
            // kernel allocates one per CPU and then cuts each registered end down to one, waiting
            // out an expedited RCU grace period under the RTNL lock every time (0.1 ms each here).
            rtnl_link_set_num_tx_queues(end, 1)
            rtnl_link_set_num_rx_queues(end, 1)
        }
        try withExtendedLifetime(peerNamespace) {
            if let peerNamespace { rtnl_link_set_ns_fd(peer, peerNamespace.descriptor) }
            let target = peerNamespace.map { " in \($0.path)" } ?? ""
            try add(veth, "create veth \(name) with peer \(peerName)\(target)")
        }
    }

    /// Creates a macvlan on top of `parentIndex` (a link in this socket's namespace), directly inside
    /// `namespace` (this socket's namespace if `nil`) under its final name.
    ///
    /// - Throws: `NetlinkError.exists` if the name is taken in the target namespace.
    public func createMacvlan(name: InterfaceName, parentIndex: Int, mode: MacvlanMode = .bridge,
                              mac: MACAddress? = nil, mtu: Int? = nil, up: Bool = true,
                              in namespace: NetworkNamespace? = nil) throws {
        let macvlan = try allocate("a macvlan") { rtnl_link_macvlan_alloc() }
        defer { rtnl_link_put(macvlan) }
        try configure(macvlan, name: name, mac: mac, mtu: mtu, up: up)
        rtnl_link_set_link(macvlan, Int32(parentIndex))
        try perform("set macvlan mode \(mode)") { rtnl_link_macvlan_set_mode(macvlan, mode.kernelValue) }
        try withExtendedLifetime(namespace) {
            if let namespace { rtnl_link_set_ns_fd(macvlan, namespace.descriptor) }
            let target = namespace.map { " in \($0.path)" } ?? ""
            try add(macvlan, "create macvlan \(name) on link index \(parentIndex)\(target)")
        }
    }

    /// Creates a VXLAN device carrying `settings.vni`, with its tunnel settings and MTU fixed at
    /// creation. With an underlay and no `mtu`, the kernel sets the underlay's MTU minus the headers.
    ///
    /// - Throws: `NetlinkError.exists` if the name is taken, or if another VXLAN device already
    ///   carries that VNI on that port (the kernel refuses a second one with `EEXIST`).
    public func createVXLAN(name: InterfaceName, _ settings: VXLANSettings, mac: MACAddress? = nil, mtu: Int? = nil,
                            masterIndex: Int? = nil, up: Bool = true) throws {
        let vxlan = try allocate("a vxlan device") { rtnl_link_vxlan_alloc() }
        defer { rtnl_link_put(vxlan) }
        try configure(vxlan, name: name, mac: mac, mtu: mtu, up: up)
        if let masterIndex { rtnl_link_set_master(vxlan, Int32(masterIndex)) }
        try perform("set vxlan id \(settings.vni)") { rtnl_link_vxlan_set_id(vxlan, settings.vni) }
        try perform("set vxlan port \(settings.port)") { rtnl_link_vxlan_set_port(vxlan, UInt32(settings.port)) }
        try perform("set vxlan learning") { rtnl_link_vxlan_set_learning(vxlan, settings.learning ? 1 : 0) }
        try perform("set vxlan proxy") { rtnl_link_vxlan_set_proxy(vxlan, settings.proxy ? 1 : 0) }
        if let underlay = settings.underlayIndex {
            try perform("set vxlan underlay") { rtnl_link_vxlan_set_link(vxlan, UInt32(underlay)) }
        }
        if let local = settings.local {
            try withLibnlAddress(local) { address in
                try perform("set vxlan local \(local)") { rtnl_link_vxlan_set_local(vxlan, address) }
            }
        }
        try add(vxlan, "create vxlan \(name) with VNI \(settings.vni)")
    }

    private func configure(_ link: OpaquePointer, name: InterfaceName, mac: MACAddress?, mtu: Int?,
                           up: Bool) throws {
        rtnl_link_set_name(link, name.rawValue)
        if let mac { try withLibnlAddress(mac) { rtnl_link_set_addr(link, $0) } }
        if let mtu { rtnl_link_set_mtu(link, UInt32(mtu)) }
        if up { rtnl_link_set_flags(link, UInt32(IFF_UP.rawValue)) }
    }

    private func add(_ link: OpaquePointer, _ operation: @autoclosure () -> String) throws {
        try perform(operation()) { rtnl_link_add(handle, link, NLM_F_CREATE | NLM_F_EXCL) }
    }
}

/// How a macvlan forwards between itself and its siblings (`MACVLAN_MODE_*`). Raw values are the names
/// CNI configurations use.
public enum MacvlanMode: String, Sendable, CaseIterable {
    case `private`
    case vepa
    case bridge
    case passthru
    case source

    var kernelValue: UInt32 {
        switch self {
        case .private: MACVLAN_MODE_PRIVATE.rawValue
        case .vepa: MACVLAN_MODE_VEPA.rawValue
        case .bridge: MACVLAN_MODE_BRIDGE.rawValue
        case .passthru: MACVLAN_MODE_PASSTHRU.rawValue
        case .source: MACVLAN_MODE_SOURCE.rawValue
        }
    }

    init?(kernelValue: UInt32) {
        guard let mode = Self.allCases.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = mode
    }
}
