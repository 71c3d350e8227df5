import Addressing
import CNI
import Netlink
import PluginKit

/// Docker's `--network host`: the container shares the host's network stack, so there is nothing
/// to create. ADD only accepts the host's own namespace, and reports the host's interfaces and
/// addresses so the runtime knows what the container will see.
public struct HostPlugin: CNIPlugin {
    public typealias Config = EmptyConfig
    public static let name = "host"
    /// The point of this plugin: CNI_NETNS is the namespace the plugin runs in.
    public static let acceptsOwnNamespace = true

    public init() {}

    public func add(_ request: AttachmentRequest<Config>) throws -> CNIResult {
        try requireHostNamespace(request)
        let socket = try NetlinkSocket()
        var result = CNIResult()
        for link in try socket.links().sorted(by: { $0.index < $1.index }) {
            let addresses = try socket.addresses(index: link.index, family: nil).filter { !$0.address.isLinkLocal }
            result.ips += addresses.map { .init(address: $0, interface: result.interfaces.count) }
            result.interfaces.append(.init(name: link.name, mac: link.mac?.description, sandbox: request.netns))
        }
        return result
    }

    /// Nothing was created, so nothing is removed; the host's stack is not ours to tear down.
    public func del(_ request: AttachmentRequest<Config>) throws {}

    public func check(_ request: AttachmentRequest<Config>) throws {
        try requireHostNamespace(request)
    }

    public func gc(_ request: NetworkRequest<Config>) throws {}

    public func status(_ request: NetworkRequest<Config>) throws {}

    private func requireHostNamespace(_ request: AttachmentRequest<Config>) throws {
        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        guard try netns.isSame(as: NetworkNamespace.current()) else {
            throw CNIError(.invalidNetworkConfig,
                           "the host network shares the host's namespace, but CNI_NETNS \(netns.path) is another one",
                           details: "run the container in the host namespace (CNI_NETNS=/proc/1/ns/net), or use another network type")
        }
    }
}
