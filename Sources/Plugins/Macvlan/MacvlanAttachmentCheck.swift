import CNI
import Netlink
import PluginKit

/// CHECK for a macvlan attachment: the container interface is still a macvlan in the configured
/// mode on the configured master, and carries what the ADD result lists.
struct MacvlanAttachmentCheck {
    let request: AttachmentRequest<MacvlanConfig>
    let expected: CNIResult

    func verify() throws {
        let config = request.config
        let netns = try NetworkNamespace.open(path: request.netnsOfAddOrCheck)
        let macvlan = try ContainerInterface.existing(named: request.interface, in: netns)
        guard let mode = macvlan.link.macvlanMode else {
            throw CheckFailure("interface \(request.interface) is no longer a macvlan "
                               + "(it is a \(macvlan.link.kind ?? "device"))")
        }
        guard mode == config.mode else {
            throw CheckFailure("macvlan \(request.interface) is in mode \(mode.rawValue), expected \(config.mode.rawValue)")
        }

        let master: MacvlanMaster
        do {
            master = try MacvlanMaster.find(for: request, container: macvlan.socket)
        } catch let error as CNIError {
            throw CheckFailure(error.msg)
        }
        // The kernel reports no parent index when it equals the link's own (possible across
        // namespaces), and a macvlan always has a parent.
        guard (macvlan.link.linkIndex ?? macvlan.link.index) == master.parentIndex else {
            throw CheckFailure("macvlan \(request.interface) no longer hangs off master \(master.name)")
        }

        try macvlan.verify(against: expected)
    }
}
