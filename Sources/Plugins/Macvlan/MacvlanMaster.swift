import Addressing
import CNI
import Netlink

/// The interface the macvlans of a network hang off, as found in the namespace it lives in (the
/// host's, or the container's with `linkInContainer`).
struct MacvlanMaster {
    let link: Link
    /// A socket in the master's namespace. Macvlans are created through it: the request names the
    /// parent there and the container's namespace as the target.
    let socket: NetlinkSocket
    /// Where the master was looked for, for messages: "the host namespace" or a netns path.
    let place: String

    /// The configured master, or the interface of the default route (IPv4's first, as the
    /// reference finds it) when the configuration names none; looked for in the host namespace,
    /// or with `linkInContainer` in the container's, through `container` (a socket there).
    static func find(for request: AttachmentRequest<MacvlanConfig>, container: NetlinkSocket) throws -> MacvlanMaster {
        let config = request.config
        let socket = config.linkInContainer ? container : try NetlinkSocket()
        let place = config.linkInContainer ? request.netnsOfAddOrCheck : "the host namespace"
        if let name = config.master {
            guard let link = try socket.link(named: name) else {
                throw CNIError(.invalidNetworkConfig, "master interface \(name) not found in \(place)",
                               details: "\"master\" must name an existing interface"
                                   + (config.linkInContainer ? " inside the container" : " of the host"))
            }
            return MacvlanMaster(link: link, socket: socket, place: place)
        }
        let defaults = try socket.routes().filter { $0.destination.prefixLength == 0 && $0.outputIndex != nil }
        guard let route = defaults.first(where: { $0.family == .ipv4 }) ?? defaults.first,
              let link = try socket.link(index: route.outputIndex!) else {
            throw CNIError(.invalidNetworkConfig, "no master given, and \(place) has no default route to take it from",
                           details: "set \"master\" to the interface the macvlans should hang off")
        }
        return MacvlanMaster(link: link, socket: socket, place: place)
    }

    var name: String { link.name }

    /// The link a macvlan on this master actually hangs off: the kernel puts a macvlan requested
    /// on another macvlan onto that one's own parent.
    var parentIndex: Int {
        link.kind == "macvlan" ? link.linkIndex ?? link.index : link.index
    }

    /// Refuses, before anything is created, what the kernel would refuse or silently not honour.
    func validate(mode: MacvlanMode, mtu: Int?, mac: MACAddress?) throws {
        if let mtu, mtu > link.mtu {
            throw CNIError(.invalidNetworkConfig, "invalid MTU \(mtu), must be [0, master MTU(\(link.mtu))]",
                           details: "master \(name) has MTU \(link.mtu); a macvlan cannot exceed it")
        }
        if link.macvlanMode == .passthru {
            throw CNIError(.invalidNetworkConfig, "master \(name) is a passthru macvlan, which cannot carry macvlans",
                           details: "use its parent interface as the master")
        }
        guard mode == .passthru else { return }
        if link.kind == "macvlan" {
            throw CNIError(.invalidNetworkConfig,
                           "mode passthru needs a master of its own, but \(name) is itself a macvlan",
                           details: "use its parent interface as the master")
        }
        if let mac, mac != link.mac {
            throw CNIError(.invalidNetworkConfig,
                           "a passthru macvlan takes the MAC of its master \(name): MAC \(mac) cannot be honoured",
                           details: "drop the requested MAC, or use another mode")
        }
    }

    /// What the kernel's `EINVAL` at creation means once `validate` has passed: the master is
    /// claimed in a way only the kernel sees (its macvlans may live in other namespaces), or it
    /// is not an Ethernet device.
    func refusal(for mode: MacvlanMode) -> CNIError {
        if mode == .passthru {
            return CNIError(.invalidNetworkConfig,
                            "mode passthru needs master \(name) to itself, but the kernel refused: it already "
                                + "carries macvlans, or is not an Ethernet device",
                            details: "remove the other macvlans of \(name), or use another mode")
        }
        return CNIError(.invalidNetworkConfig,
                        "the kernel refused a macvlan on master \(name): it carries a passthru macvlan, "
                            + "or is not an Ethernet device",
                        details: "a master with a passthru macvlan can carry no other")
    }
}
