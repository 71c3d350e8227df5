import Addressing
import CNI
import Glibc
import Identity
import Netlink
import PluginKit

/// Docker's macvlan network as a CNI plugin, configured like the reference `macvlan`: each
/// container gets a macvlan of a host interface (the master), with a MAC of its own, directly on
/// the master's network.
public struct MacvlanPlugin: CNIPlugin {
    public typealias Config = MacvlanConfig
    public static let name = "macvlan"

    public init() {}

    public func add(_ request: AttachmentRequest<MacvlanConfig>) throws -> CNIResult {
        let config = request.config
        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        let container = try NetlinkSocket(in: netns)
        let master = try MacvlanMaster.find(for: request, container: container)
        let mac = try RequestedMAC.from(request) ?? config.mac
        try master.validate(mode: config.mode, mtu: config.mtu, mac: mac)

        // Made under a name of the attachment's own, marked with its alias, and only then given the
        // final name: a macvlan under CNI_IFNAME always carries the alias that lets a repeated ADD
        // replace it, and one a killed ADD left under the made name is this attachment's by its name.
        let madeName = Self.madeName(of: request.attachmentID)
        let create = {
            try master.socket.createMacvlan(name: madeName, parentIndex: master.link.index,
                                            mode: config.mode, mac: mac, mtu: config.mtu, up: false,
                                            in: config.linkInContainer ? nil : netns)
        }
        do {
            do {
                try create()
            } catch NetlinkError.exists {
                try container.deleteLink(named: madeName, removal: .detached)
                try create()
            }
        } catch NetlinkError.kernel(_, EINVAL, _) {
            throw master.refusal(for: config.mode)
        }

        return try Rollback.run { rollback in
            guard let made = try container.link(named: madeName) else {
                throw CNIError(.tryAgainLater, "macvlan \(madeName) vanished from \(netns.path) after creation")
            }
            // By index: under whichever name it has by then, and never another interface of that name.
            rollback.onFailure { _ = try? container.deleteLink(index: made.index, removal: .detached) }
            try container.setAlias(index: made.index, request.attachmentID.hostAlias)
            try claimName(request.interface, for: made, in: container, request: request, netns: netns)
            guard let macvlan = try ContainerInterface(named: request.interface, in: netns, socket: container) else {
                throw CNIError(.tryAgainLater, "macvlan \(request.interface) vanished from \(netns.path) after creation")
            }
            var result = CNIResult()
            if let ipam = IPAMDriver.forNetwork(request.network) {
                result = try ipam.add(request)
                rollback.onFailure { try? ipam.del(request) }
            }
            try macvlan.configure(with: result, dad: false, announce: true)

            // The MAC as the kernel set it: the requested one, a random one, or (passthru) the master's.
            result.interfaces = [
                .init(name: request.interface.rawValue, mac: macvlan.link.mac?.description, sandbox: request.netns),
            ]
            for index in result.ips.indices { result.ips[index].interface = 0 }
            if let dns = request.network.dns, !dns.isEmpty { result.dns = dns }
            return result
        }
    }

    /// The name a macvlan is made under before it takes CNI_IFNAME.
    static func madeName(of attachment: AttachmentID) -> InterfaceName { attachment.interfaceName(prefix: "mv") }

    /// Renames `made` to `name`. This attachment's own macvlan already there (a killed ADD's, or a
    /// whole one that a repeated ADD replaces) goes first; IPAM hands the new one the lease it holds.
    /// Any other interface of that name is refused.
    private func claimName(_ name: InterfaceName, for made: Link, in container: NetlinkSocket,
                           request: AttachmentRequest<MacvlanConfig>, netns: NetworkNamespace) throws {
        do {
            try container.rename(index: made.index, to: name)
        } catch NetlinkError.exists {
            guard let existing = try container.link(named: name), existing.kind == "macvlan",
                  existing.alias == request.attachmentID.hostAlias else {
                throw ContainerInterface.nameTaken(name, in: netns.path)
            }
            _ = try container.deleteLink(index: existing.index, removal: .detached)
            try container.rename(index: made.index, to: name)
        }
    }

    public func del(_ request: AttachmentRequest<MacvlanConfig>) throws {
        // The link goes first: an address must not be leased again while an interface still
        // carries it. Without the namespace there is no link left: it died with the namespace.
        if let path = request.netns {
            do {
                let container = try NetlinkSocket(in: NetworkNamespace.open(path: path))
                // Only a macvlan: whatever else bears the name is not this plugin's to remove.
                for name in [request.interface, Self.madeName(of: request.attachmentID)] {
                    if let link = try container.link(named: name), link.kind == "macvlan" {
                        _ = try container.deleteLink(index: link.index, removal: .detached)
                    }
                }
            } catch NetlinkError.namespaceNotFound, NetlinkError.notANetworkNamespace {
                // The runtime has removed the namespace (a leftover file is no namespace either).
            }
        }
        try IPAMDriver.forNetwork(request.network)?.del(request)
    }

    public func check(_ request: AttachmentRequest<MacvlanConfig>) throws {
        let expected = try request.expectedResult()
        try IPAMDriver.forNetwork(request.network)?.check(request)
        try MacvlanAttachmentCheck(request: request, expected: expected).verify()
    }

    /// The leases of stale attachments go; their macvlans lived in namespaces that GC may assume
    /// are gone, and went with them.
    public func gc(_ request: NetworkRequest<MacvlanConfig>) throws {
        try IPAMDriver.forNetwork(request.network)?.gc(request)
    }

    public func status(_ request: NetworkRequest<MacvlanConfig>) throws {
        try IPAMDriver.forNetwork(request.network)?.status(request)
    }
}
