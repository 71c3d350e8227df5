import Addressing
import CNetlink

/// Changing existing links. Each setter sends one `RTM_SETLINK` carrying only the change (flags travel with
/// a change mask), so nothing is read first. libnl's `rtnl_link_change` would need the link's current
/// state and, for bridge-port flags, an object of the bridge family; a bare message is simpler and exact.
extension NetlinkSocket {
    /// Brings the link administratively up.
    public func setUp(index: Int) throws {
        try changeLink("bring link index \(index) up", index: index,
                       flags: UInt32(IFF_UP.rawValue), change: UInt32(IFF_UP.rawValue))
    }

    /// Takes the link administratively down.
    public func setDown(index: Int) throws {
        try changeLink("take link index \(index) down", index: index, flags: 0, change: UInt32(IFF_UP.rawValue))
    }

    /// Enslaves the link to `masterIndex` (a bridge), or releases it from its master when `nil`.
    public func setMaster(index: Int, masterIndex: Int?) throws {
        let operation = masterIndex.map { "attach link index \(index) to master index \($0)" }
            ?? "release link index \(index) from its master"
        try changeLink(operation, index: index) { nla_put_u32($0, Int32(IFLA_MASTER),
                                                                UInt32(masterIndex ?? 0)) }
    }

    public func setMTU(index: Int, mtu: Int) throws {
        try changeLink("set MTU \(mtu) on link index \(index)", index: index) {
            nla_put_u32($0, Int32(IFLA_MTU), UInt32(mtu))
        }
    }

    public func setMAC(index: Int, mac: MACAddress) throws {
        try changeLink("set MAC \(mac) on link index \(index)", index: index) {
            nla_put($0, Int32(IFLA_ADDRESS), Int32(mac.bytes.count), mac.bytes)
        }
    }

    /// Turns promiscuous mode on or off, as `ip link set promisc` does.
    public func setPromiscuous(index: Int, _ on: Bool) throws {
        let promisc = UInt32(IFF_PROMISC.rawValue)
        try changeLink("turn promiscuous mode \(on ? "on" : "off") on link index \(index)", index: index,
                       flags: on ? promisc : 0, change: promisc)
    }

    /// Renames the link, which must be down (the kernel refuses to rename a link that is up).
    ///
    /// - Throws: `NetlinkError.exists` if another link has the name.
    public func rename(index: Int, to name: InterfaceName) throws {
        try changeLink("rename link index \(index) to \(name)", index: index) {
            nla_put_string($0, Int32(IFLA_IFNAME), name.rawValue)
        }
    }

    /// Sets the link's `ifalias` description; `nil` or `""` removes it. The kernel keeps at most 255 bytes.
    public func setAlias(index: Int, _ alias: String?) throws {
        let text = alias ?? ""
        guard text.utf8.count < 256 else {
            throw NetlinkError.invalidArgument("alias for link index \(index) is longer than 255 bytes")
        }
        try changeLink("set alias on link index \(index)", index: index) {
            nla_put_string($0, Int32(IFLA_IFALIAS), text)
        }
    }

    /// Stops the kernel from giving the link IPv6 addresses of its own (`addrgenmode none`): no
    /// link-local address, and so none of the duplicate address detection, router solicitations and
    /// multicast listener reports that come with one. On a bridge those are flooded to every port, so
    /// each new attachment would cost work in proportion to the ones already there. Set it before the
    /// link has carrier; addresses added explicitly still work.
    public func disableIPv6AddressGeneration(index: Int) throws {
        try changeLink("turn off IPv6 address generation on link index \(index)", index: index) { message in
            guard let spec = cnl_nest_start(message, Int32(IFLA_AF_SPEC)),
                  let inet6 = cnl_nest_start(message, Int32(AF_INET6)) else { return -NLE_MSGSIZE }
            let put = nla_put_u8(message, Int32(IFLA_INET6_ADDR_GEN_MODE), UInt8(IN6_ADDR_GEN_MODE_NONE.rawValue))
            guard put >= 0, nla_nest_end(message, inet6) >= 0 else { return -NLE_MSGSIZE }
            return nla_nest_end(message, spec)
        }
    }

    /// Turns hairpin mode on or off for a bridge port, letting frames go back out the port they came in on
    /// (so a container can reach itself through a NATed address). The link must be enslaved to a bridge.
    public func setHairpin(index: Int, _ on: Bool) throws {
        try changeLink("turn hairpin mode \(on ? "on" : "off") on bridge port index \(index)", index: index,
                       family: UInt8(AF_BRIDGE)) { message in
            // The bridge reads a non-nested IFLA_PROTINFO as a bare STP port state, so it must be nested.
            guard let portInfo = cnl_nest_start(message, Int32(IFLA_PROTINFO)) else {
                return -NLE_MSGSIZE
            }
            let put = nla_put_u8(message, Int32(IFLA_BRPORT_MODE), on ? 1 : 0)
            return put < 0 ? put : nla_nest_end(message, portInfo)
        }
    }

    /// Turns the bridge's multicast snooping on or off (`ip link set ... type bridge mcast_snooping`).
    ///
    /// With snooping on, every port that comes up has the kernel re-arm the multicast timers of every
    /// other port, so attaching costs more the more ports a bridge has; without it, multicast is
    /// flooded to all ports, which is also what a snooping bridge does while no querier is present.
    public func setBridgeMulticastSnooping(index: Int, _ on: Bool) throws {
        // Kind-specific settings reach the bridge's changelink only through RTM_NEWLINK.
        try changeLink("turn multicast snooping \(on ? "on" : "off") on bridge index \(index)", index: index,
                       type: Int32(RTM_NEWLINK)) { message in
            guard let info = cnl_nest_start(message, Int32(IFLA_LINKINFO)),
                  nla_put_string(message, Int32(IFLA_INFO_KIND), "bridge") >= 0,
                  let data = cnl_nest_start(message, Int32(IFLA_INFO_DATA)),
                  nla_put_u8(message, Int32(IFLA_BR_MCAST_SNOOPING), on ? 1 : 0) >= 0,
                  nla_nest_end(message, data) >= 0 else { return -NLE_MSGSIZE }
            return nla_nest_end(message, info)
        }
    }

    /// Sends `type` (`RTM_SETLINK` unless given) for `index` with the given flag change and the attributes
    /// `attributes` adds (returning a negative libnl code if they do not fit).
    private func changeLink(_ operation: @autoclosure () -> String, index: Int, type: Int32 = Int32(RTM_SETLINK),
                            family: UInt8 = UInt8(AF_UNSPEC), flags: UInt32 = 0, change: UInt32 = 0,
                            attributes: (OpaquePointer) -> Int32 = { _ in 0 }) throws {
        let message = try allocate("a netlink message") { nlmsg_alloc_simple(type, 0) }
        var header = ifinfomsg()
        header.ifi_family = family
        header.ifi_index = Int32(index)
        header.ifi_flags = flags
        header.ifi_change = change
        let built = nlmsg_append(message, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO))
        guard built >= 0, attributes(message) >= 0 else {
            nlmsg_free(message)
            throw NetlinkError(operation: operation(), libnlCode: -NLE_MSGSIZE, kernelErrno: 0, kernelMessage: "")
        }
        try send(message, operation())
    }
}
