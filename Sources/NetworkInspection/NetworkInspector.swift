import Addressing
import CNI
import CNIRuntime
import DNSRecords
import Firewall
import Identity
import Netlink
import JSON
import PluginKit

/// One attachment of a network, from every place that knows of it: the runtime's result cache, the
/// IPAM lease, the DNS record, the firewall's published ports and the kernel's links.
public struct AttachmentReport: Sendable, Encodable {
    public var containerID: String
    public var ifname: String
    public var netns: String?
    /// The addresses the kernel shows on the container's interface (or, when the namespace cannot be
    /// entered, those the cached result lists).
    public var ips: [String] = []
    public var mac: String?
    public var leasedIPs: [String] = []
    public var dnsNames: [String] = []
    public var publishedPorts: [String] = []
    public var hostVeth: String?
    /// Where the attachment was seen: `cache`, `lease`, `dns`, `link`.
    public var seenIn: [String] = []
    /// What does not agree: a lease without a link, a link without a lease, a cached result whose
    /// namespace is gone.
    public var problems: [String] = []
}

/// A network as `netctl network inspect` shows it.
public struct NetworkReport: Sendable, Encodable {
    public let name: String
    public let file: String?
    public let cniVersion: String
    public let driver: String
    public let plugins: [String]
    public let bridge: String?
    public let ipam: String?
    public let subnets: [NetworkDescription.AddressPool]
    public let options: [String: String]
    public let attachments: [AttachmentReport]
    /// Things that could not be read (the store, the firewall), said once for the whole network.
    public let warnings: [String]
}

/// Gathers what the host knows of a network. Reads only: it changes nothing.
public struct NetworkInspector {
    public let cache: ResultCache

    public init(cache: ResultCache) {
        self.cache = cache
    }

    /// What the inspector is told of a network's plugins, knowing none by name: the caller reads it off the
    /// conflist's plugin list.
    public struct Plugins: Sendable {
        /// The firewall roles whose `publish` entries are an attachment's published ports.
        public let portRoles: [FirewallOwner.Role]
        /// Whether the main plugin gives every attachment a host-side link (a bridge's veth end), so that a
        /// lease without one is a discrepancy.
        public let hostLinks: Bool

        /// - Returns: `nil` if one of `portRoles` is not a firewall role (1 to 15 lowercase letters).
        public init?(portRoles: [String], hostLinks: Bool) {
            var roles: [FirewallOwner.Role] = []
            for text in portRoles {
                guard let role = FirewallOwner.Role(rawValue: text) else { return nil }
                roles.append(role)
            }
            self.portRoles = roles
            self.hostLinks = hostLinks
        }
    }

    public func report(_ network: NetworkDescription, plugins: Plugins) -> NetworkReport {
        var warnings: [String] = []
        if let problem = network.ipamProblem { warnings.append("ipam section: \(problem)") }
        var byKey: [String: AttachmentReport] = [:]
        func entry(_ id: String, _ ifname: String) -> AttachmentReport {
            byKey["\(id)/\(ifname)"] ?? AttachmentReport(containerID: id, ifname: ifname)
        }

        let cached = (try? cache.entries(of: network.list.name)) ?? []
        for item in cached {
            var report = entry(item.runtime.containerID.rawValue, item.runtime.interface.rawValue)
            report.netns = item.runtime.netns
            report.seenIn.append("cache")
            if let result = item.parsedResult {
                let containerSide = result.interfaces.firstIndex { $0.name == item.runtime.interface.rawValue && $0.sandbox != nil }
                report.mac = containerSide.flatMap { result.interfaces[$0].mac }
                report.ips = result.ips.filter { $0.interface == nil || $0.interface == containerSide }.map(\.address.description)
                report.hostVeth = result.interfaces.first { $0.sandbox == nil && $0.name != network.bridge }?.name
                if case .array(let mappings)? = item.runtime.capabilityArgs["portMappings"] {
                    report.publishedPorts = mappings.compactMap(Self.describeMapping)
                }
            }
            byKey["\(report.containerID)/\(report.ifname)"] = report
        }

        do {
            for lease in try LeaseReader.leases(of: network) {
                var report = entry(lease.containerID, lease.ifname)
                report.leasedIPs = lease.addresses
                report.seenIn.append("lease")
                byKey["\(report.containerID)/\(report.ifname)"] = report
            }
        } catch {
            warnings.append("leases: \(error)")
        }

        do {
            for (_, record) in try LeaseReader.dnsRecords(of: network) {
                var report = entry(record.attachment.containerID.rawValue, record.attachment.interface.rawValue)
                report.dnsNames = record.names.map { record.domain.isEmpty ? $0 : "\($0).\(record.domain)" }
                report.seenIn.append("dns")
                byKey["\(report.containerID)/\(report.ifname)"] = report
            }
        } catch {
            warnings.append("dns records: \(error)")
        }

        // Host links: ours carry the attachment in their alias; others are known from the cached result.
        var hostLinks: [String: Link] = [:]
        do {
            let host = try NetlinkSocket()
            for link in try host.links() {
                hostLinks[link.name] = link
                if let alias = link.alias, let owner = AttachmentID(hostAlias: alias), owner.network == network.list.name {
                    var report = entry(owner.containerID.rawValue, owner.interface.rawValue)
                    report.hostVeth = link.name
                    report.seenIn.append("link")
                    byKey["\(report.containerID)/\(report.ifname)"] = report
                }
            }
        } catch {
            warnings.append("kernel links: \(error)")
        }

        let firewall = try? Firewall()
        for key in byKey.keys {
            var report = byKey[key]!
            if let netns = report.netns {
                if let (ips, mac) = Self.containerInterface(netns: netns, ifname: report.ifname) {
                    report.ips = ips
                    report.mac = mac ?? report.mac
                } else if report.seenIn.contains("cache") {
                    report.problems.append("the namespace \(netns) or its \(report.ifname) is gone (the cached attachment is stale: `netctl gc \(network.name)`)")
                }
            }
            if let id = ContainerID(report.containerID), let ifname = InterfaceName(report.ifname), let firewall {
                let attachment = AttachmentID(network: network.list.name, containerID: id, interface: ifname)
                let published = plugins.portRoles.flatMap { role in
                    ((try? firewall.entries(of: FirewallOwner(role: role, attachment: attachment))) ?? []).compactMap { entry -> String? in
                        guard case .publish(let forward) = entry else { return nil }
                        return "\(forward.hostAddress.map { "\($0):" } ?? "")\(forward.hostPort)->\(forward.containerPort)/\(forward.proto)"
                    }
                }
                if !published.isEmpty { report.publishedPorts = published }
            }
            let linkExists = report.hostVeth.map { hostLinks[$0] != nil } ?? false
            if report.seenIn.contains("lease"), !linkExists, plugins.hostLinks {
                report.problems.append("lease without link: \(report.leasedIPs.joined(separator: ", ")) is leased but no host link exists (`netctl gc \(network.name)` releases it)")
            }
            if report.seenIn.contains("link"), !report.seenIn.contains("lease"), network.store != nil {
                report.problems.append("link without lease: \(report.hostVeth ?? "?") exists but the store holds no lease for it")
            }
            byKey[key] = report
        }

        var options: [String: String] = [:]
        for (key, value) in network.options { options[key] = Self.text(value) }
        return NetworkReport(name: network.name, file: network.list.path, cniVersion: network.list.cniVersion.rawValue,
                             driver: network.driver, plugins: network.chain, bridge: network.bridge, ipam: network.ipamType,
                             subnets: network.pools, options: options,
                             attachments: byKey.keys.sorted().map { byKey[$0]! }, warnings: warnings)
    }

    /// The addresses and MAC of `ifname` inside the namespace; `nil` when either is gone.
    static func containerInterface(netns: String, ifname: String) -> ([String], String?)? {
        guard let namespace = try? NetworkNamespace.open(path: netns), let socket = try? NetlinkSocket(in: namespace),
              let name = InterfaceName(ifname), let link = try? socket.link(named: name) else { return nil }
        let addresses = (try? socket.addresses(index: link.index)) ?? []
        return (addresses.filter { !$0.address.isLinkLocal }.map(\.description), link.mac?.description)
    }

    static func describeMapping(_ value: JSONValue) -> String? {
        guard case .object(let members) = value, case .number(let host)? = members["hostPort"],
              case .number(let container)? = members["containerPort"] else { return nil }
        var proto = "tcp"
        if case .string(let text)? = members["protocol"] { proto = text }
        var hostIP = ""
        if case .string(let text)? = members["hostIP"], !text.isEmpty { hostIP = text + ":" }
        return "\(hostIP)\(host)->\(container)/\(proto)"
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        default: String(decoding: JSONWriter.write(value), as: UTF8.self)
        }
    }
}
