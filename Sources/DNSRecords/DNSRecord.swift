import Addressing
import Identity

/// What one attachment registered on one network: the names it answers to and where the network's
/// responder listens.
public struct DNSRecord: Sendable, Equatable {
    /// The attachment on the network that registered the record, as leases and firewall elements
    /// are owned.
    public let owner: AttachmentID
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

    public var network: NetworkName { owner.network }
    public var attachment: Attachment { owner.attachment }

    public init(owner: AttachmentID, domain: String, names: [String], addresses: [IPAddress],
                gateways: [IPAddress], upstreams: [DNSUpstream]) {
        self.owner = owner
        self.domain = domain
        self.names = names
        self.addresses = addresses
        self.gateways = gateways
        self.upstreams = upstreams
    }

    public init(network: NetworkName, attachment: Attachment, domain: String, names: [String],
                addresses: [IPAddress], gateways: [IPAddress], upstreams: [DNSUpstream]) {
        self.init(owner: AttachmentID(network: network, attachment: attachment), domain: domain, names: names,
                  addresses: addresses, gateways: gateways, upstreams: upstreams)
    }
}
