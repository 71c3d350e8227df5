import Addressing
import CNI

/// What one attachment registered on one network: the names it answers to and where the network's
/// responder listens. The owner is the attachment on the network, as for leases.
public struct DNSRecord: Sendable, Equatable {
    public let network: NetworkName
    public let attachment: Attachment
    /// The domain the names live under, without a trailing dot (`dns.podman`).
    public let domain: String
    /// The container's name first, if it has one, then its aliases, as given.
    public let names: [String]
    /// The container's addresses on the network, both families.
    public let addresses: [IPAddress]
    /// The network's gateway addresses on the host: where the responder listens for this network.
    public let gateways: [IPAddress]
    /// Where names outside `domain` are forwarded, in order of preference. Every attachment of a
    /// network carries its network's list; the responder uses the most recently written one.
    public let upstreams: [DNSUpstream]

    public init(network: NetworkName, attachment: Attachment, domain: String, names: [String],
                addresses: [IPAddress], gateways: [IPAddress], upstreams: [DNSUpstream]) {
        self.network = network
        self.attachment = attachment
        self.domain = domain
        self.names = names
        self.addresses = addresses
        self.gateways = gateways
        self.upstreams = upstreams
    }
}
