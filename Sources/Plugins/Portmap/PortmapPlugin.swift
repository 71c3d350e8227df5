import Addressing
import CNI
import Firewall
import Netlink
import PluginKit

/// Publishes container ports on the host (`docker run -p`), chained after a main plugin like the
/// reference `portmap`: DNAT for traffic from other hosts, from the host itself (including
/// 127.0.0.1) and from containers (hairpin), kept as elements of swift-cni's nftables maps.
public struct PortmapPlugin: CNIPlugin {
    public typealias Config = PortmapConfig
    public static let name = "portmap"

    public init() {}

    public func add(_ request: AttachmentRequest<PortmapConfig>) throws -> CNIResult {
        let previous = try prevResult(of: request)
        guard !request.config.portMappings.isEmpty else { return previous }
        let addresses = containerAddresses(in: previous, interface: request.interface)
        guard !addresses.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "portmap: prevResult has no address on \(request.interface)",
                           details: "portmap publishes ports of the container's addresses; chain it after a plugin that assigns some")
        }
        let entries = Self.entries(for: request.config, addresses: addresses)
        if request.config.snat || request.config.masqAll {
            let host = try NetlinkSocket()
            try allowHairpin(on: previous, host: host)
            if let v4 = addresses.first(where: { $0.family == .ipv4 }) {
                try allowLocalhostSources(toward: v4.address, host: host)
            }
        }
        try Firewall().replace(FirewallOwner(.portmap, request), with: entries)
        return previous
    }

    public func del(_ request: AttachmentRequest<PortmapConfig>) throws {
        // The owner's record says what to remove: no prevResult or runtimeConfig needed.
        let firewall = try Firewall()
        try firewall.remove(FirewallOwner(.portmap, request))
        try firewall.awaitRemovals()
    }

    public func check(_ request: AttachmentRequest<PortmapConfig>) throws {
        let previous = try prevResult(of: request)
        let owner = FirewallOwner(.portmap, request)
        let expected = request.config.portMappings.isEmpty
            ? [] : Self.entries(for: request.config, addresses: containerAddresses(in: previous, interface: request.interface))
        try Firewall().verify(owner, expected: expected)
    }

    public func gc(_ request: NetworkRequest<PortmapConfig>) throws {
        try FirewallOwner.collectGarbage(.portmap, request)
    }

    public func status(_ request: NetworkRequest<PortmapConfig>) throws {
        _ = try Firewall()
    }

    // MARK: - Entries

    /// Everything an attachment with these addresses needs for `config`'s mappings.
    static func entries(for config: PortmapConfig, addresses: [InterfaceAddress]) -> [FirewallEntry] {
        var entries: [FirewallEntry] = []
        for address in addresses {
            let publishes = config.portMappings.filter { $0.families.contains(address.family) }.compactMap { mapping in
                PortForward(hostAddress: mapping.hostIP, proto: mapping.proto, hostPort: mapping.hostPort,
                            container: address.address, containerPort: mapping.containerPort)
            }
            guard !publishes.isEmpty else { continue }
            entries += publishes.map(FirewallEntry.publish)
            if config.masqAll {
                entries.append(.masqueradePublished(source: Subnet.defaultRoute(address.family), container: address.address))
            } else if config.snat {
                entries.append(.masqueradePublished(source: address.subnet, container: address.address))
                if address.family == .ipv4 {
                    entries.append(.masqueradePublished(source: Subnet("127.0.0.0/8")!, container: address.address))
                }
            }
        }
        return entries
    }

    /// The first address of each family on the container's `interface`, as the reference plugin
    /// picks them: addresses of host-side interfaces are skipped.
    private func containerAddresses(in result: CNIResult, interface: InterfaceName) -> [InterfaceAddress] {
        var found: [InterfaceAddress] = []
        for ip in result.ips where !found.contains(where: { $0.family == ip.address.family }) {
            if let index = ip.interface, result.interfaces.indices.contains(index) {
                let owner = result.interfaces[index]
                guard owner.name == interface.rawValue, !(owner.sandbox ?? "").isEmpty else { continue }
            }
            found.append(ip.address)
        }
        return found
    }

    private func prevResult(of request: AttachmentRequest<PortmapConfig>) throws -> CNIResult {
        guard let previous = request.network.prevResult else {
            if request.config.portMappings.isEmpty { return CNIResult() }
            throw CNIError(.invalidNetworkConfig, "portmap must be chained after a plugin that returns a result",
                           details: "no prevResult in the configuration")
        }
        return previous
    }

    /// With bridge netfilter on (br_netfilter, as Docker and Kubernetes hosts have it), a
    /// container's packet to its own published port is DNATed while still being bridged and goes
    /// back out the port it came in on, which a bridge refuses unless the port is in hairpin mode.
    /// The reference plugin leaves this to the bridge's `hairpinMode`; we set it on the
    /// attachment's host-side bridge port whenever ports are published.
    private func allowHairpin(on result: CNIResult, host: NetlinkSocket) throws {
        for interface in result.interfaces where (interface.sandbox ?? "").isEmpty {
            guard let name = InterfaceName(interface.name), let link = try host.link(named: name),
                  link.masterIndex != nil else { continue }
            try host.setHairpin(index: link.index, true)
        }
    }

    /// A packet from 127.0.0.1 DNATed toward a container leaves through the interface that routes
    /// to it, which drops loopback sources unless `route_localnet` is on (the reference plugin sets
    /// the same).
    private func allowLocalhostSources(toward container: IPAddress, host: NetlinkSocket) throws {
        let route = try host.routes(family: .ipv4)
            .filter { $0.gateway == nil && $0.outputIndex != nil && $0.destination.contains(container) }
            .max { $0.destination.prefixLength < $1.destination.prefixLength }
        guard let index = route?.outputIndex, let link = try host.link(index: index) else { return }
        try Sysctl.write("net/ipv4/conf/\(link.name)/route_localnet", "1")
    }
}

extension FirewallOwner.Role {
    /// The published ports' elements: `portmap <network>/<container>/<ifname>` in the kernel.
    static let portmap = FirewallOwner.Role(rawValue: "portmap")!
}
