import Addressing
import CNetlink

/// A network interface as the kernel reported it.
public struct Link: Hashable, Sendable {
    /// The interface index, unique within its namespace.
    public var index: Int
    public var name: String
    /// The driver kind (`"veth"`, `"bridge"`, `"macvlan"`, `"vxlan"`...); `nil` for physical devices and `lo`.
    public var kind: String?
    /// The hardware address; `nil` for devices without an Ethernet-style one.
    public var mac: MACAddress?
    public var mtu: Int
    /// The index of the bridge (or other master) this is enslaved to.
    public var masterIndex: Int?
    /// `IFLA_LINK`: for a veth, its peer's index (in the peer's namespace); for a macvlan or vxlan, its
    /// parent's. `nil` when the kernel reports none or the link itself.
    public var linkIndex: Int?
    /// Administratively up (`IFF_UP`), as set with `setUp`.
    public var isUp: Bool
    /// The `ifalias` description, `nil` when unset.
    public var alias: String?
    /// Promiscuous mode requested by a user (`setPromiscuous`), not the kernel's internal count (which a
    /// bridge raises on its ports).
    public var isPromiscuous: Bool
    /// For a macvlan, how it forwards between itself and its siblings; `nil` for other kinds.
    public var macvlanMode: MacvlanMode?
    /// For a VXLAN device, its tunnel settings; `nil` for other kinds.
    public var vxlan: VXLANSettings?

    public init(index: Int, name: String, kind: String? = nil, mac: MACAddress? = nil, mtu: Int,
                masterIndex: Int? = nil, linkIndex: Int? = nil, isUp: Bool, alias: String? = nil,
                isPromiscuous: Bool = false, macvlanMode: MacvlanMode? = nil, vxlan: VXLANSettings? = nil) {
        self.index = index
        self.name = name
        self.kind = kind
        self.mac = mac
        self.mtu = mtu
        self.masterIndex = masterIndex
        self.linkIndex = linkIndex
        self.isUp = isUp
        self.alias = alias
        self.isPromiscuous = isPromiscuous
        self.macvlanMode = macvlanMode
        self.vxlan = vxlan
    }

    /// Reads a libnl `struct rtnl_link`.
    init(libnl link: OpaquePointer) {
        let flags = rtnl_link_get_flags(link)
        let index = Int(rtnl_link_get_ifindex(link))
        let linkIndex = Int(rtnl_link_get_link(link))
        self.init(
            index: index,
            name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
            kind: rtnl_link_get_type(link).map { String(cString: $0) },
            mac: MACAddress(libnl: rtnl_link_get_addr(link)),
            mtu: Int(rtnl_link_get_mtu(link)),
            masterIndex: Int(rtnl_link_get_master(link)).nonZero,
            linkIndex: linkIndex == index ? nil : linkIndex.nonZero,
            isUp: flags & UInt32(IFF_UP.rawValue) != 0,
            alias: rtnl_link_get_ifalias(link).map { String(cString: $0) },
            isPromiscuous: flags & UInt32(IFF_PROMISC.rawValue) != 0,
            macvlanMode: rtnl_link_is_macvlan(link) != 0
                ? MacvlanMode(kernelValue: rtnl_link_macvlan_get_mode(link)) : nil,
            vxlan: rtnl_link_is_vxlan(link) != 0 ? VXLANSettings(libnl: link) : nil)
    }
}

extension Int {
    /// `nil` for the kernel's "none" value 0.
    var nonZero: Int? { self == 0 ? nil : self }
}

extension VXLANSettings {
    /// Reads the tunnel settings of a libnl VXLAN link.
    init(libnl link: OpaquePointer) {
        var vni: UInt32 = 0
        var port: UInt32 = 0
        var underlay: UInt32 = 0
        var local: OpaquePointer?
        _ = rtnl_link_vxlan_get_id(link, &vni)
        _ = rtnl_link_vxlan_get_port(link, &port)
        let hasUnderlay = rtnl_link_vxlan_get_link(link, &underlay) == 0 && underlay != 0
        var localAddress: IPAddress?
        if rtnl_link_vxlan_get_local(link, &local) == 0, let local {
            localAddress = IPAddress(libnl: local)
            nl_addr_put(local)
        }
        self.init(vni: vni, port: port == 0 ? Self.defaultPort : UInt16(truncatingIfNeeded: port), local: localAddress,
                  underlayIndex: hasUnderlay ? Int(underlay) : nil,
                  learning: rtnl_link_vxlan_get_learning(link) > 0, proxy: rtnl_link_vxlan_get_proxy(link) > 0)
    }
}
