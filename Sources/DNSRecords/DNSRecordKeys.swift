import Addressing
import CNI

/// Where DNS records live in the store: one key per attachment,
///
///     dns/<network>/<containerID>/<ifname>  ->  JSON {domain, names, addresses, gateways, upstreams}
///
/// so that a network's records are one range read and an attachment's one get.
enum DNSRecordKeys {
    static let root = "dns/"

    static func network(_ network: NetworkName) -> String { root + "\(network)/" }

    static func record(_ attachment: Attachment, on network: NetworkName) -> String {
        Self.network(network) + "\(attachment.containerID)/\(attachment.interface)"
    }

    /// The owner a record key names, or `nil` for a key of another shape. Split at the scalar `/`,
    /// as the lease keys are.
    static func owner(fromKey key: String) -> (network: NetworkName, attachment: Attachment)? {
        guard key.unicodeScalars.starts(with: root.unicodeScalars) else { return nil }
        let parts = key.unicodeScalars.dropFirst(root.unicodeScalars.count)
            .split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let network = NetworkName(parts[0]), let id = ContainerID(parts[1]),
              let name = InterfaceName(parts[2]) else { return nil }
        return (network, Attachment(containerID: id, interface: name))
    }
}
