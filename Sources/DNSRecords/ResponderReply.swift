import Addressing

/// The responder's answer to one request, as one line of JSON on the control socket.
public struct ResponderReply: Sendable, Equatable, Codable {
    /// The store revision the responder serves, at least the one a sync asked for.
    public let revision: Int64
    /// Gateway addresses the responder could not listen on.
    public let unbound: [UnboundListener]
    /// Why the request could not be served, if it could not.
    public let error: String?

    public init(revision: Int64, unbound: [UnboundListener] = [], error: String? = nil) {
        self.revision = revision
        self.unbound = unbound
        self.error = error
    }
}

/// A gateway address and port the responder could not bind, and who holds it.
public struct UnboundListener: Sendable, Equatable, Codable {
    public let address: IPAddress
    public let port: UInt16
    /// The holding process as `comm (pid n)`, or what is known of it.
    public let holder: String

    public init(address: IPAddress, port: UInt16, holder: String) {
        self.address = address
        self.port = port
        self.holder = holder
    }
}
