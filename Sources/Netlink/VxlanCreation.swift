import Addressing
import CNetlink

/// What a VXLAN link tunnels to: one remote endpoint (point to point) or a multicast group.
public struct VxlanSettings: Hashable, Sendable {
    /// The VXLAN network identifier, 0 to 2^24 - 1.
    public var vni: UInt32
    /// The remote endpoint, or the multicast group, that frames with no learned destination go to.
    public var remote: IPAddress?
    /// The source address of the outer packets.
    public var local: IPAddress?
    /// The UDP destination port; 4789, the IANA port, when `nil` (the kernel's own default is 8472).
    public var port: UInt16?
    /// The link whose addresses carry the outer packets (`dev` in `ip link add ... type vxlan`).
    public var deviceIndex: Int?

    /// The largest identifier a 24-bit VNI holds.
    public static let maximumVNI: UInt32 = (1 << 24) - 1
    public static let ianaPort: UInt16 = 4789

    public init(vni: UInt32, remote: IPAddress? = nil, local: IPAddress? = nil, port: UInt16? = nil,
                deviceIndex: Int? = nil) {
        self.vni = vni
        self.remote = remote
        self.local = local
        self.port = port
        self.deviceIndex = deviceIndex
    }
}

extension NetlinkSocket {
    /// Creates a VXLAN link in this socket's namespace in one `RTM_NEWLINK` with `NLM_F_EXCL`.
    ///
    /// - Throws: `NetlinkError.invalidArgument` for a VNI beyond 24 bits, `NetlinkError.exists` if the name
    ///   is taken (or another VXLAN link already uses the VNI and port).
    public func createVxlan(name: InterfaceName, _ settings: VxlanSettings, mtu: Int? = nil,
                            masterIndex: Int? = nil, up: Bool = true) throws {
        guard settings.vni <= VxlanSettings.maximumVNI else {
            throw NetlinkError.invalidArgument("VNI \(settings.vni) of \(name) does not fit in 24 bits")
        }
        let vxlan = try allocate("a vxlan link") { rtnl_link_vxlan_alloc() }
        defer { rtnl_link_put(vxlan) }
        rtnl_link_set_name(vxlan, name.rawValue)
        if let mtu { rtnl_link_set_mtu(vxlan, UInt32(mtu)) }
        if let masterIndex { rtnl_link_set_master(vxlan, Int32(masterIndex)) }
        if up { rtnl_link_set_flags(vxlan, UInt32(IFF_UP.rawValue)) }
        try perform("set VNI \(settings.vni) of \(name)") { rtnl_link_vxlan_set_id(vxlan, settings.vni) }
        try perform("set port of \(name)") {
            rtnl_link_vxlan_set_port(vxlan, UInt32(settings.port ?? VxlanSettings.ianaPort))
        }
        if let remote = settings.remote {
            try withLibnlAddress(remote) { address in
                try perform("set remote \(remote) of \(name)") { rtnl_link_vxlan_set_group(vxlan, address) }
            }
        }
        if let local = settings.local {
            try withLibnlAddress(local) { address in
                try perform("set local \(local) of \(name)") { rtnl_link_vxlan_set_local(vxlan, address) }
            }
        }
        if let device = settings.deviceIndex {
            try perform("set device of \(name)") { rtnl_link_vxlan_set_link(vxlan, UInt32(device)) }
        }
        try perform("create vxlan \(name) (VNI \(settings.vni))") {
            rtnl_link_add(handle, vxlan, NLM_F_CREATE | NLM_F_EXCL)
        }
    }
}
