import Addressing
import CNI
import Netlink

/// The interface an attachment puts inside the container's namespace. Each main plugin creates it
/// its own way (a veth peer, a macvlan); configuring it from the ADD result and verifying it on
/// CHECK are the same for all of them, and live here.
public struct ContainerInterface {
    public let namespace: NetworkNamespace
    /// A socket opened in `namespace`.
    public let socket: NetlinkSocket
    public let link: Link

    /// The interface called `name` in `namespace`, or `nil` when there is none.
    public init?(named name: InterfaceName, in namespace: NetworkNamespace, socket: NetlinkSocket) throws {
        guard let link = try socket.link(named: name) else { return nil }
        self.namespace = namespace
        self.socket = socket
        self.link = link
    }

    /// For CHECK: the interface called `name`, or a `CheckFailure` saying it is gone.
    public static func existing(named name: InterfaceName, in namespace: NetworkNamespace) throws -> ContainerInterface {
        guard let interface = try ContainerInterface(named: name, in: namespace, socket: NetlinkSocket(in: namespace))
        else {
            throw CheckFailure("interface \(name) is missing from \(namespace.path)")
        }
        return interface
    }

    /// ADD's error for a CNI_IFNAME that the namespace already has.
    public static func nameTaken(_ name: InterfaceName, in netns: String) -> CNIError {
        CNIError(.invalidEnvironment, "CNI_IFNAME \(name) already exists in \(netns)",
                 details: "each attachment needs a new interface name; DEL the old attachment first")
    }

    /// Puts `result`'s addresses and routes on the interface and brings it up, in that order:
    /// addresses while the link is still down, then up, then routes (an IPv4 route through a link
    /// that is down is refused, and gateways are reachable only once the addresses are there). A
    /// route without a gateway goes via its family's gateway, as the reference plugins do.
    ///
    /// Plugins therefore create the link down (a veth peer has to be anyway: the kernel cannot open it
    /// before the pair exists).
    ///
    /// - Parameters:
    ///   - dad: keep IPv6 duplicate address detection; otherwise addresses are `nodad`, usable at once
    ///     rather than tentative for seconds.
    ///   - announce: have the kernel announce the addresses the moment the link comes up: a
    ///     gratuitous ARP per IPv4 address (`arp_notify`) and an unsolicited neighbour advertisement
    ///     per IPv6 one (`ndisc_notify`), so neighbours on a shared segment learn the MAC at once.
    ///     The kernel announces the addresses present at that moment, hence the order above.
    ///
    /// On an IPv4-only attachment (IPv4 addresses, no IPv6 ones) the interface gets no IPv6 address of
    /// its own, as Docker does for IPv4-only networks: its link-local address would only add multicast
    /// chatter that a bridge floods to every other container. An attachment without addresses keeps
    /// it, since IPv6 there may come from router advertisements.
    public func configure(with result: CNIResult, dad: Bool, announce: Bool) throws {
        let families = Set(result.ips.map(\.address.family))
        if families == [.ipv4] { try socket.disableIPv6AddressGeneration(index: link.index) }
        if announce { try enableAnnouncements(for: families) }
        for ip in result.ips {
            try socket.addAddress(ip.address, index: link.index, noDAD: !dad)
        }
        try socket.setUp(index: link.index)
        for route in result.routes {
            let gateway = route.gw ?? result.ips.first { $0.address.family == route.dst.family }?.gateway
            do {
                try socket.addRoute(Route(destination: route.dst, gateway: gateway, outputIndex: link.index))
            } catch NetlinkError.exists {
                continue
            }
        }
    }

    /// CHECK: what the ADD result lists for this interface must still be there (its MAC, its
    /// addresses, the routes). Later plugins in a chain may add addresses or routes, so only listed
    /// ones are required.
    public func verify(against expected: CNIResult) throws {
        let position = expected.interfaces.firstIndex { $0.name == link.name && $0.sandbox != nil }
        if let position, let mac = expected.interfaces[position].mac, link.mac != MACAddress(mac) {
            throw CheckFailure("interface \(link.name) has MAC \(link.mac?.description ?? "none"), expected \(mac)")
        }
        let present = try socket.addresses(index: link.index, family: nil)
        for ip in expected.ips where ip.interface == nil || ip.interface == position {
            guard present.contains(ip.address) else {
                throw CheckFailure("address \(ip.address) is missing from \(link.name)")
            }
        }
        for family in AddressFamily.allCases {
            let wanted = expected.routes.filter { $0.dst.family == family }
            guard !wanted.isEmpty else { continue }
            let routes = try socket.routes(family: family)
            for route in wanted {
                guard routes.contains(where: { $0.destination == route.dst && (route.gw == nil || $0.gateway == route.gw) })
                else {
                    throw CheckFailure("route to \(route.dst) is missing from \(namespace.path)")
                }
            }
        }
    }

    private func enableAnnouncements(for families: Set<AddressFamily>) throws {
        try namespace.run {
            for family in families {
                switch family {
                case .ipv4: try Sysctl.write("net/ipv4/conf/\(link.name)/arp_notify", "1")
                case .ipv6: try Sysctl.write("net/ipv6/conf/\(link.name)/ndisc_notify", "1")
                }
            }
        }
    }
}
