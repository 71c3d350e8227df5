import Addressing

/// One attachment of one container to one network: the identity every record swift-cni keeps for it
/// is written in (the host link's alias, firewall owners, leases, DNS records, the host veth's name).
///
/// Its canonical text is `<network>/<containerID>/<interface>`. None of the three parts can contain
/// `/`, so the text parses back unambiguously; the limits on the parts keep it within
/// `maximumTextLength`, which every encoding has room for.
public struct AttachmentID: Hashable, Sendable, CustomStringConvertible {
    /// The longest canonical text: both names at their limits, an interface name of 15 bytes and
    /// the two separators.
    public static let maximumTextLength = NetworkName.maximumLength + ContainerID.maximumLength + 15 + 2

    public let network: NetworkName
    public let attachment: Attachment
    /// `<network>/<containerID>/<interface>`, built once.
    public let text: String

    public init(network: NetworkName, attachment: Attachment) {
        self.network = network
        self.attachment = attachment
        text = "\(network)/\(attachment.containerID)/\(attachment.interface)"
    }

    public init(network: NetworkName, containerID: ContainerID, interface: InterfaceName) {
        self.init(network: network, attachment: Attachment(containerID: containerID, interface: interface))
    }

    /// Parses a canonical text; `nil` for anything that is not one. Split at the scalar `/`: an
    /// interface name may begin with a combining mark, which would make one character of it and
    /// the `/` before it.
    public init?(text: some StringProtocol) {
        let parts = text.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
        guard parts.count == 3, let network = NetworkName(parts[0]),
              let id = ContainerID(parts[1]), let name = InterfaceName(parts[2]) else { return nil }
        self.init(network: network, containerID: id, interface: name)
    }

    public var containerID: ContainerID { attachment.containerID }
    public var interface: InterfaceName { attachment.interface }

    public var description: String { text }

    /// A 64-bit FNV-1a hash of `qualifier` followed by the canonical text: what names derived
    /// from an attachment (a host link, a firewall record) are made of. The qualifier separates the
    /// names different owners derive from the same attachment.
    public func hash(qualifiedBy qualifier: String = "") -> UInt64 {
        FNV1a.hash(qualifier, text)
    }
}
