import CNI
import Firewall

extension FirewallOwner {
    /// The owner of what `role` adds to the firewall for the request's attachment.
    public init<C>(_ role: Role, _ request: AttachmentRequest<C>) {
        self.init(role: role, attachment: request.attachmentID)
    }

    /// GC: removes what `role` holds for attachments of the request's network that are not in its
    /// valid list.
    public static func collectGarbage<C>(_ role: Role, _ request: NetworkRequest<C>) throws {
        let firewall = try Firewall()
        let valid = request.validAttachments
        for owner in try firewall.owners(role, network: request.network.name) where !valid.contains(owner.attachment.attachment) {
            try firewall.remove(owner)
        }
        try firewall.awaitRemovals()
    }
}
