/// Why TLS could not be set up or carried on, in words that name what to fix.
public enum TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file of the configuration (CA, certificate, key) cannot be read or holds no usable PEM.
    case file(path: String, role: String, detail: String)
    /// The private key does not belong to the certificate.
    case keyMismatch(certificate: String, key: String)
    /// The peer's certificate did not verify: an unknown CA, a name or address it does not carry,
    /// an expired certificate.
    case verification(String)
    /// The TLS exchange failed: the peer sent an alert (a client certificate it does not accept),
    /// or it does not speak TLS at all.
    case handshake(String)

    public var description: String {
        switch self {
        case let .file(path, role, detail): "\(role) \(path): \(detail)"
        case let .keyMismatch(certificate, key): "the key in \(key) does not belong to the certificate in \(certificate)"
        case .verification(let detail): "the server's certificate was not accepted: \(detail)"
        case .handshake(let detail): detail
        }
    }
}
