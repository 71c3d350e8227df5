import Addressing
import CNI
import Netlink
import PluginKit

/// CHECK for a bridge attachment: what the ADD result says exists must still exist. Later plugins
/// in a chain may add routes or addresses, so only what the result lists is required.
struct BridgeAttachmentCheck {
    let request: AttachmentRequest<BridgeConfig>
    let expected: CNIResult

    func verify() throws {
        let host = try NetlinkSocket()
        let bridgeName = request.config.bridge
        guard let bridge = try host.link(named: bridgeName), bridge.kind == "bridge" else {
            throw CheckFailure("bridge \(bridgeName) is missing")
        }
        let hostVeth = HostVethName.make(for: request.attachmentID)
        guard let hostLink = try host.link(named: hostVeth) else {
            throw CheckFailure("host interface \(hostVeth) of \(request.containerID)/\(request.interface) is missing")
        }
        guard hostLink.masterIndex == bridge.index else {
            throw CheckFailure("host interface \(hostVeth) is no longer a port of bridge \(bridgeName)")
        }

        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        try ContainerInterface.existing(named: request.interface, in: netns).verify(against: expected)
    }
}
