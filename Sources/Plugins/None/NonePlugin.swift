import Addressing
import CNI
import Netlink
import PluginKit

/// Docker's `--network none`: the container keeps its own namespace with only loopback, brought
/// up. Reported like the reference `loopback` plugin; when chained it passes `prevResult` through.
public struct NonePlugin: CNIPlugin {
    public typealias Config = EmptyConfig
    public static let name = "none"

    public init() {}

    public func add(_ request: AttachmentRequest<Config>) throws -> CNIResult {
        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        let socket = try NetlinkSocket(in: netns)
        let loopback = try Self.loopback(on: socket)
        if !loopback.isUp { try socket.setUp(index: loopback.index) }
        if let previous = request.network.prevResult { return previous }
        return CNIResult(
            interfaces: [.init(name: loopback.name, mac: "00:00:00:00:00:00", sandbox: request.netns)],
            ips: try socket.addresses(index: loopback.index, family: nil).map { .init(address: $0, interface: 0) }
        )
    }

    public func del(_ request: AttachmentRequest<Config>) throws {
        // The runtime removes the namespace, and loopback with it; nothing here outlives it.
    }

    public func check(_ request: AttachmentRequest<Config>) throws {
        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        let socket = try NetlinkSocket(in: netns)
        guard try Self.loopback(on: socket).isUp else { throw CheckFailure("lo is down in \(netns.path)") }
    }

    public func gc(_ request: NetworkRequest<Config>) throws {}

    public func status(_ request: NetworkRequest<Config>) throws {}

    private static func loopback(on socket: NetlinkSocket) throws -> Link {
        guard let link = try socket.link(named: InterfaceName("lo")!) else {
            throw CNIError(.unknownContainer, "the namespace has no loopback interface")
        }
        return link
    }
}
