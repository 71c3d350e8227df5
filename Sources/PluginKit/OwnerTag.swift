import Addressing
import CNI

/// The mark swift-cni leaves on host-side objects it creates for an attachment (a link alias, say):
/// `swift-cni/<network>/<containerID>/<ifname>`. None of the three parts may contain `/`, so the
/// tag parses back unambiguously, and GC can tell which attachment an object belongs to without
/// the container's namespace.
public struct OwnerTag: Hashable, Sendable {
    public let network: NetworkName
    public let attachment: Attachment

    static let prefix = "swift-cni/"

    public init(network: NetworkName, attachment: Attachment) {
        self.network = network
        self.attachment = attachment
    }

    /// Parses a tag; `nil` for anything that is not one. Split at the scalar `/`: an interface name
    /// may begin with a combining mark, which would make one character of it and the `/` before it.
    public init?(_ text: String) {
        let scalars = text.unicodeScalars
        guard scalars.starts(with: Self.prefix.unicodeScalars) else { return nil }
        let parts = scalars.dropFirst(Self.prefix.unicodeScalars.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let network = NetworkName(String(parts[0])),
              let id = ContainerID(String(parts[1])), let name = InterfaceName(String(parts[2])) else { return nil }
        self.init(network: network, attachment: Attachment(containerID: id, interface: name))
    }

    public var text: String {
        "\(Self.prefix)\(network)/\(attachment.containerID)/\(attachment.interface)"
    }
}
