import Addressing
import CNI
import Glibc
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

        // Created in the container under its final name: nothing to move, and no name on the host
        // that a concurrent ADD could collide with.
        let create = {
            try master.socket.createMacvlan(name: request.interface, parentIndex: master.link.index,
                                            mode: config.mode, mac: mac, mtu: config.mtu, up: false,
                                            in: config.linkInContainer ? nil : netns)
        }
        do {
            do {
                try create()
            } catch NetlinkError.exists {
                // This attachment's own macvlan, whether a killed ADD left it or a repeated ADD finds
                // it whole, is replaced (IPAM hands the new one the lease it holds); any other
                // interface of that name is refused.
                guard let existing = try container.link(named: request.interface), existing.kind == "macvlan",
                      existing.alias == request.attachmentID.hostAlias else {
                    throw ContainerInterface.nameTaken(request.interface, in: netns.path)
                }
                _ = try container.deleteLink(index: existing.index, removal: .detached)
                try create()
            }
        } catch NetlinkError.kernel(_, EINVAL, _) {
            throw master.refusal(for: config.mode)
        }

        return try Rollback.run { rollback in
            rollback.onFailure { _ = try? container.deleteLink(named: request.interface, removal: .detached) }
            guard let macvlan = try ContainerInterface(named: request.interface, in: netns, socket: container) else {
                throw CNIError(.tryAgainLater, "macvlan \(request.interface) vanished from \(netns.path) after creation")
            }
            // What tells a later ADD of this attachment that the macvlan is its own to replace.
            try container.setAlias(index: macvlan.link.index, request.attachmentID.hostAlias)
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

    public func del(_ request: AttachmentRequest<MacvlanConfig>) throws {
        // The link goes first: an address must not be leased again while an interface still
        // carries it. Without the namespace there is no link left: it died with the namespace.
        if let path = request.netns {
            do {
                let container = try NetlinkSocket(in: NetworkNamespace.open(path: path))
                // Only a macvlan: whatever else bears the name is not this plugin's to remove.
                if let link = try container.link(named: request.interface), link.kind == "macvlan" {
                    _ = try container.deleteLink(index: link.index, removal: .detached)
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
