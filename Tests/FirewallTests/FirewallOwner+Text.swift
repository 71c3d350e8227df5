import Identity
@testable import Firewall

extension FirewallOwner {
    /// An owner from the texts of its parts; `nil` when they make no attachment.
    init?(role: Role, network: String, containerID: String, interface: String) {
        guard let attachment = AttachmentID(text: "\(network)/\(containerID)/\(interface)") else { return nil }
        self.init(role: role, attachment: attachment)
    }
}
