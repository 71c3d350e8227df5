import KV

/// Why the etcd client could not do what it was asked, before it is reported as a `KVError`.
public enum EtcdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The configuration cannot work (a malformed endpoint, say): retrying will not help.
    case configuration(String)
    /// No endpoint answered in time; names what was tried.
    case unreachable(String)
    /// etcd answered with an error.
    case server(status: Int, code: Int, message: String)
    /// etcd's answer could not be read.
    case protocolViolation(String)
    /// etcd turned the credentials away, or they lack permission.
    case refused(String)
    /// TLS could not be set up (a CA, certificate or key file) or the endpoint and the client do not
    /// agree on it (an unverifiable certificate, TLS on one side only): names the file or endpoint.
    case tls(String)

    public var description: String {
        switch self {
        case .configuration(let detail): detail
        case .unreachable(let detail): detail
        case let .server(status, code, message): "etcd answered \(status) (code \(code)): \(message)"
        case .protocolViolation(let detail): "etcd's answer could not be read: \(detail)"
        case .refused(let detail), .tls(let detail): detail
        }
    }

    /// The same failure as the store protocol reports it.
    var kvError: KVError {
        switch self {
        case .configuration(let detail): .invalidArgument(detail)
        case .refused(let detail), .tls(let detail): .refused(detail)
        // gRPC's PermissionDenied and Unauthenticated: the configured user may not do this.
        case let .server(_, code, message) where code == 7 || code == 16: .refused(message)
        case .unreachable, .server, .protocolViolation: .unavailable(description)
        }
    }
}
