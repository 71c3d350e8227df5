import Addressing
import CNI
import Netlink

/// The host's side of the tunnel: the link it runs over, the VTEP address, and the MTU left for
/// the overlay once the VXLAN headers are paid for.
struct Underlay {
    let link: Link
    let vtep: IPAddress
    /// The overlay's MTU: the configured one, or the underlay's minus the headers.
    let mtu: Int

    /// Outer IP, UDP, VXLAN and inner Ethernet headers.
    static func overhead(for vtep: IPAddress) -> Int { vtep.family == .ipv4 ? 50 : 70 }

    /// Reads what `config` names from the host, changing nothing.
    static func resolve(_ config: VXLANConfig, on host: NetlinkSocket) throws -> Underlay {
        let link = try underlayLink(config, on: host)
        let addresses = try host.addresses(index: link.index)
        let vtep: IPAddress
        if let wanted = config.vtepAddress {
            guard addresses.contains(where: { $0.address == wanted }) else {
                throw CNIError(.invalidNetworkConfig, "vxlan: vtepAddress \(wanted) is not an address of \(link.name)",
                               details: "give one of the underlay's addresses, or none to use its first")
            }
            vtep = wanted
        } else {
            // IPv4 first, as Docker and flannel do; a link-local IPv6 address cannot be reached from other hosts.
            let usable = addresses.map(\.address).filter { $0.family == .ipv4 || !$0.isLinkLocal }
            guard let first = usable.first(where: { $0.family == .ipv4 }) ?? usable.first else {
                throw CNIError(.invalidNetworkConfig, "vxlan: the underlay \(link.name) has no address to use as the VTEP",
                               details: "give the underlay an address, or name another \"underlay\"")
            }
            vtep = first
        }
        let largest = link.mtu - overhead(for: vtep)
        if let mtu = config.mtu, mtu > largest {
            throw CNIError(.invalidNetworkConfig, "vxlan: mtu \(mtu) does not fit the underlay",
                           details: "\(link.name) has MTU \(link.mtu); with \(overhead(for: vtep)) bytes of VXLAN headers the overlay can carry at most \(largest)")
        }
        return Underlay(link: link, vtep: vtep, mtu: config.mtu ?? largest)
    }

    private static func underlayLink(_ config: VXLANConfig, on host: NetlinkSocket) throws -> Link {
        if let name = config.underlay {
            guard let link = try host.link(named: name) else {
                throw CNIError(.invalidNetworkConfig, "vxlan: the underlay \(name) does not exist",
                               details: "name an existing interface in \"underlay\"")
            }
            return link
        }
        for family in AddressFamily.allCases {
            if let route = try host.routes(family: family).first(where: { $0.destination.prefixLength == 0 }),
               let index = route.outputIndex, let link = try host.link(index: index) {
                return link
            }
        }
        throw CNIError(.invalidNetworkConfig, "vxlan: no \"underlay\" given and this host has no default route",
                       details: "name the interface the tunnel runs over in \"underlay\"")
    }
}
