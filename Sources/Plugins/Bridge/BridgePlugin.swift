import Addressing
import CNI
import Firewall
import Identity
import Netlink
import PluginKit
import Stores

/// Docker's default bridge network as a CNI plugin, configured like the reference `bridge`: each
/// container gets a veth pair whose host end is a port of a shared Linux bridge.
public struct BridgePlugin: CNIPlugin {
    public typealias Config = BridgeConfig
    public static let name = "bridge"

    /// Which holders of an attachment's firewall keys, besides stale bridge attachments, ADD may evict.
    private let staleHolders: EvictionPolicy

    public init() { staleHolders = .never }

    /// A bridge whose ADD may also evict the holders `staleHolders` proves stale: a caller's own
    /// entries for addresses it knows are gone, say.
    public init(alsoEvicting staleHolders: EvictionPolicy) { self.staleHolders = staleHolders }

    public func add(_ request: AttachmentRequest<BridgeConfig>) throws -> CNIResult {
        try add(request, whenLeased: nil)
    }

    /// ADD, with `whenLeased` started once the lease is known and finished after the kernel work.
    public func add(_ request: AttachmentRequest<BridgeConfig>, whenLeased followUp: LeaseFollowUp?) throws -> CNIResult {
        let config = request.config
        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        let host = try NetlinkSocket()
        let container = try NetlinkSocket(in: netns)
        let hostVeth = HostVethName.make(for: request.attachmentID)
        // Before IPAM, so that a refusal takes no lease. This attachment's own pair, whether a killed
        // ADD left it or a repeated ADD finds it whole, is replaced: IPAM hands the new one the lease
        // it holds.
        if let existing = try container.link(named: request.interface) {
            guard try isPair(existing, hostVeth: hostVeth, alias: request.attachmentID.hostAlias, on: host) else {
                throw ContainerInterface.nameTaken(request.interface, in: netns.path)
            }
            _ = try host.deleteLink(named: hostVeth, removal: .detached)
        }
        let bridge = try BridgeDevice.ensure(config, on: host)
        let ipam = IPAMDriver.forNetwork(request.network)
        let containerMAC = try RequestedMAC.from(request) ?? .randomLocal()
        let hostMAC = MACAddress.randomLocal()

        let firewall = try Firewall()

        return try Rollback.run { rollback in
            var result = CNIResult()
            var leaseStore: OpenedStore?
            if let ipam {
                (result, leaseStore) = try ipam.lease(request)
                rollback.onFailure { try? ipam.del(request) }
                result = try reclaimingLostLeases(result, ipam: ipam, request, firewall: firewall, host: host)
            }
            let started = try followUp?.start(BridgeLease(ips: result.ips, containerMAC: containerMAC, store: leaseStore))
            if let started { rollback.onFailure(started.undo) }
            if config.isGateway {
                try bridge.ensureGateways(result.ips.compactMap { ip in
                    ip.gateway.map { InterfaceAddress(address: $0, prefixLength: ip.address.prefixLength) }
                }, force: config.forceAddress, on: host)
            }

            let createPair = {
                try host.createVeth(name: hostVeth, mac: hostMAC, mtu: config.mtu, masterIndex: bridge.link.index,
                                    peerName: request.interface, peerMAC: containerMAC, peerNamespace: netns)
            }
            do {
                try createPair()
            } catch NetlinkError.exists {
                // A crashed ADD of this same attachment left its host end behind: the name is ours.
                _ = try host.deleteLink(named: hostVeth, removal: .detached)
                try createPair()
            }
            rollback.onFailure { _ = try? host.deleteLink(named: hostVeth, removal: .detached) }
            // The container end names its peer, so one lookup gives both indexes.
            guard let containerSide = try ContainerInterface(named: request.interface, in: netns, socket: container),
                  let hostIndex = containerSide.link.linkIndex
            else {
                throw CNIError(.tryAgainLater, "veth pair \(hostVeth)/\(request.interface) vanished after creation")
            }
            try host.setAlias(index: hostIndex, request.attachmentID.hostAlias)
            if config.hairpinMode { try host.setHairpin(index: hostIndex, true) }
            // A bridge port needs no IPv6 at all. Even without addresses the kernel gives each IPv6
            // interface a multicast route in the host's table, one per port, which every later link
            // event walks; and a link-local address would bring DAD, RS and MLD flooded to every port.
            do {
                _ = try Sysctl.write("net/ipv6/conf/\(hostVeth)/disable_ipv6", "1")
            } catch NetlinkError.notFound {
                // This kernel runs without IPv6.
            }

            if config.isDefaultGateway { result.routes += defaultRoutes(for: result) }
            // Also brings the peer up: it was created down, as the kernel cannot open it before the
            // pair exists.
            try containerSide.configure(with: result, dad: config.enableDAD, announce: false)

            result.interfaces = BridgeResultInterface.allCases.map { which in
                switch which {
                case .bridge: .init(name: bridge.name, mac: bridge.link.mac?.description)
                case .hostVeth: .init(name: hostVeth.rawValue, mac: hostMAC.description)
                case .container: .init(name: request.interface.rawValue, mac: containerMAC.description,
                                       sandbox: request.netns)
                }
            }
            for index in result.ips.indices { result.ips[index].interface = BridgeResultInterface.container.rawValue }
            if let dns = request.network.dns, !dns.isEmpty { result.dns = dns }
            try BridgeFirewall(request).apply(to: result, port: hostVeth, mac: containerMAC, using: firewall, on: host,
                                              alsoEvicting: staleHolders, rollback: &rollback)
            try started?.finish()
            return result
        }
    }

    /// `result` if none of its addresses is held by another live attachment on this host. Otherwise
    /// the store lost that attachment's lease: it is given back, and IPAM leases again.
    private func reclaimingLostLeases(_ result: CNIResult, ipam: IPAMDriver, _ request: AttachmentRequest<BridgeConfig>,
                                      firewall: Firewall, host: NetlinkSocket) throws -> CNIResult {
        var result = result
        // Each round gives at least one lost lease back, and leases are per address: a few rounds
        // are all a store that lost any number of leases needs, unless another process keeps
        // taking the addresses freed.
        for _ in 0..<8 {
            let holders = try BridgeFirewall(request).liveHolders(of: result, using: firewall, on: host)
            guard !holders.isEmpty else { return result }
            for holder in holders {
                guard try ipam.restore(holder.attachment.attachment, holding: holder.addresses, for: request) else {
                    throw CNIError(.internal,
                                   "IPAM handed out \(holder.addresses.map(\.description).joined(separator: ", ")), "
                                       + "which \(holder.attachment) on this host still holds",
                                   details: "its store lost that lease; DEL \(holder.attachment) or restore the store")
                }
            }
            result = try ipam.add(request)
        }
        throw CNIError(.tryAgainLater, "every address IPAM handed out is held by another attachment on this host")
    }

    public func del(_ request: AttachmentRequest<BridgeConfig>) throws {
        // Everything is found from the attachment's name alone, so DEL works after the
        // namespace is gone. The link goes first: an address must not be leased again while a
        // stale interface still carries it.
        let hostVeth = HostVethName.make(for: request.attachmentID)
        let firewall = try Firewall()
        try BridgeFirewall(request).remove(using: firewall)
        // Detached, and while `firewall` is still open, on purpose: the process that waits out the
        // kernel's freeing of the link inherits the firewall's netfilter socket and closes its
        // last copy. After elements were deleted rather than expired (`Firewall.remove`'s
        // fallback), that close waits an RCU grace period: that process waits it, not this DEL.
        _ = try NetlinkSocket().deleteLink(named: hostVeth, removal: .detached)
        // Here: the link's deletion covers most of the jiffy the elements take to expire, and the
        // next holder of the address, once the lease goes, must find its keys free.
        try firewall.awaitRemovals()
        try IPAMDriver.forNetwork(request.network)?.del(request)
    }

    public func check(_ request: AttachmentRequest<BridgeConfig>) throws {
        let expected = try request.expectedResult()
        try IPAMDriver.forNetwork(request.network)?.check(request)
        try BridgeAttachmentCheck(request: request, expected: expected).verify()
        try BridgeFirewall(request).verify(expected)
    }

    public func gc(_ request: NetworkRequest<BridgeConfig>) throws {
        var failures: [String] = []
        do {
            try IPAMDriver.forNetwork(request.network)?.gc(request)
        } catch {
            failures.append("IPAM: \(error)")
        }
        do {
            try FirewallOwner.collectGarbage(.bridge, request)
        } catch {
            failures.append("firewall: \(error)")
        }
        let host = try NetlinkSocket()
        let bridgeIndex = try host.link(named: request.config.bridge)?.index
        for link in try host.links() {
            let owner = link.alias.flatMap(AttachmentID.init(hostAlias:))
            let stale = owner.map { $0.network == request.network.name && !request.validAttachments.contains($0.attachment) }
                // A link without an alias on our bridge, named like ours, is a crashed ADD's leftover.
                ?? (link.masterIndex == bridgeIndex && bridgeIndex != nil && HostVethName.matches(link.name))
            guard stale else { continue }
            do {
                _ = try host.deleteLink(named: InterfaceName(link.name)!, removal: .detached)
            } catch {
                failures.append("\(link.name): \(error)")
            }
        }
        if !failures.isEmpty {
            throw CNIError(.internal, "GC could not remove everything: " + failures.joined(separator: "; "))
        }
    }

    public func status(_ request: NetworkRequest<BridgeConfig>) throws {
        try IPAMDriver.forNetwork(request.network)?.status(request)
    }

    /// The network's bridge on the host, created on first use: for a plugin that adds ports of its
    /// own to it.
    public static func ensureBridge(_ config: BridgeConfig, on host: NetlinkSocket) throws -> Link {
        try BridgeDevice.ensure(config, on: host).link
    }

    // MARK: - Helpers

    /// Whether `interface`, in the container, is one end of the attachment's veth pair: the two ends
    /// name each other, the host end bears the attachment's name and its tag, or none yet (an ADD
    /// killed before it set one).
    private func isPair(_ interface: Link, hostVeth: InterfaceName, alias: String, on host: NetlinkSocket) throws -> Bool {
        guard interface.kind == "veth", let hostEnd = try host.link(named: hostVeth), hostEnd.kind == "veth" else {
            return false
        }
        // The kernel reports no peer index when it equals the link's own (possible across namespaces).
        return (interface.linkIndex ?? interface.index) == hostEnd.index
            && (hostEnd.linkIndex ?? hostEnd.index) == interface.index
            && (hostEnd.alias == nil || hostEnd.alias == alias)
    }

    /// A default route per family via that family's first gateway, unless IPAM already routes it.
    private func defaultRoutes(for result: CNIResult) -> [CNIResult.Route] {
        AddressFamily.allCases.compactMap { family in
            let everything = Subnet.defaultRoute(family)
            guard !result.routes.contains(where: { $0.dst == everything }),
                  let gateway = result.ips.first(where: { $0.address.family == family })?.gateway else { return nil }
            return CNIResult.Route(dst: everything, gw: gateway)
        }
    }
}
