import Addressing
import CNI
import Netlink
import PluginKit

/// CHECK for a bridge attachment: what the ADD result says exists must still exist. Later plugins
/// in a chain may add routes or addresses, so only what the result lists is required.
struct AttachmentCheck {
    let request: AttachmentRequest<BridgeConfig>
    let expected: CNIResult

    func verify() throws {
        let host = try NetlinkSocket()
        let bridgeName = request.config.bridge
        guard let bridge = try host.link(named: bridgeName), bridge.kind == "bridge" else {
            throw CheckFailure("bridge \(bridgeName) is missing")
        }
        let hostVeth = HostVethName.make(network: request.network.name, attachment: request.attachment)
        guard let hostLink = try host.link(named: hostVeth) else {
            throw CheckFailure("host interface \(hostVeth) of \(request.containerID)/\(request.interface) is missing")
        }
        guard hostLink.masterIndex == bridge.index else {
            throw CheckFailure("host interface \(hostVeth) is no longer a port of bridge \(bridgeName)")
        }

        let container = try NetlinkSocket(in: NetworkNamespace.open(path: request.netns!))
        guard let link = try container.link(named: request.interface) else {
            throw CheckFailure("interface \(request.interface) is missing from \(request.netns!)")
        }
        let index = expected.interfaces.firstIndex { $0.name == request.interface.rawValue && $0.sandbox != nil }
        if let index, let mac = expected.interfaces[index].mac, link.mac != MACAddress(mac) {
            throw CheckFailure("interface \(request.interface) has MAC \(link.mac?.description ?? "none"), expected \(mac)")
        }

        let present = try container.addresses(index: link.index, family: nil)
        for ip in expected.ips where ip.interface == nil || ip.interface == index {
            guard present.contains(ip.address) else {
                throw CheckFailure("address \(ip.address) is missing from \(request.interface)")
            }
        }
        for family in AddressFamily.allCases {
            let routes = try container.routes(family: family)
            for route in expected.routes where route.dst.family == family {
                guard routes.contains(where: { $0.destination == route.dst && (route.gw == nil || $0.gateway == route.gw) }) else {
                    throw CheckFailure("route to \(route.dst) is missing from \(request.netns!)")
                }
            }
        }
    }
}
