import CNI
import Firewall

extension FirewallOwner {
    /// The owner of what `role` adds to the firewall for the request's attachment.
    public init<C>(_ role: Role, _ request: AttachmentRequest<C>) throws {
        guard let owner = FirewallOwner(role: role, network: request.network.name.rawValue,
                                        containerID: request.containerID.rawValue,
                                        interface: request.interface.rawValue) else {
            throw CNIError(.invalidEnvironment, "network name and container ID are too long to tag firewall elements",
                           details: "together they may take at most about 140 bytes")
        }
        self = owner
    }

    /// GC: removes what `role` holds for attachments of the request's network that are not in its
    /// valid list.
    public static func collectGarbage<C>(_ role: Role, _ request: NetworkRequest<C>) throws {
        let firewall = try Firewall()
        let valid = Set(request.validAttachments.map { "\($0.containerID)/\($0.interface)" })
        for owner in try firewall.owners(role, network: request.network.name.rawValue)
        where !valid.contains("\(owner.containerID)/\(owner.interface)") {
            try firewall.remove(owner)
        }
        try firewall.awaitRemovals()
    }
}
