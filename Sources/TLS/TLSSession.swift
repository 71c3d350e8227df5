import COpenSSL
import Glibc

/// One TLS client session as a pure engine: the caller moves bytes between it and a socket
/// (`takeOutgoing`, `receive`), so every wait stays the caller's own, bounded by its deadline,
/// and no write can raise SIGPIPE.
public final class TLSSession {
    /// What an operation needs before it can go on.
    public enum Progress: Equatable, Sendable {
        /// Done; for `read`, this many bytes were read.
        case done(Int)
        /// Bytes from the peer (after sending what `takeOutgoing` holds).
        case needsInput
        /// The peer closed the session.
        case closed
    }

    private let ssl: OpaquePointer
    /// What the peer sent, for OpenSSL to read; and what OpenSSL wrote, for the peer.
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    /// What the server's certificate must name: a DNS name or an IP address.
    private let serverName: String
    private let trustedCAs: String

    /// A session that will verify the server's certificate against `context` and `serverName`.
    public init(_ context: TLSClientContext, serverName: String) throws(TLSError) {
        guard let ssl = SSL_new(context.context), let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            throw .handshake("OpenSSL could not make a session: \(TLSClientContext.queuedErrors())")
        }
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        self.serverName = serverName
        trustedCAs = context.trustedCAs
        copenssl_bio_retry_when_empty(incoming)
        copenssl_bio_retry_when_empty(outgoing)
        SSL_set_bio(ssl, incoming, outgoing)
        SSL_set_connect_state(ssl)
        if Self.isIPAddress(serverName) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
        } else {
            SSL_set1_host(ssl, serverName)
            _ = copenssl_set_server_name(ssl, serverName)
        }
    }

    deinit { SSL_free(ssl) }

    /// Advances the handshake; `.done` once it is complete.
    public func handshake() throws(TLSError) -> Progress {
        let result = SSL_do_handshake(ssl)
        return result == 1 ? .done(0) : try progress(result)
    }

    /// Decrypts into `buffer` what has arrived.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Progress {
        let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return count > 0 ? .done(Int(count)) : try progress(count)
    }

    /// Encrypts `bytes` for the peer: they wait in `takeOutgoing` (a memory buffer that always has room).
    public func write(_ bytes: [UInt8]) throws(TLSError) {
        guard !bytes.isEmpty else { return }
        let count = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
        guard count == Int32(clamping: bytes.count) else {
            _ = try progress(count)
            throw .handshake("the session could not take the data to send")
        }
    }

    /// Bytes the peer sent, as they came off the socket.
    public func receive(_ bytes: UnsafeRawBufferPointer) {
        _ = BIO_write(incoming, bytes.baseAddress, Int32(clamping: bytes.count))
    }

    /// What the session has for the peer, emptying its buffer.
    public func takeOutgoing() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(outgoing))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let count = bytes.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32(pending)) }
        return Array(bytes.prefix(Int(max(count, 0))))
    }

    private func progress(_ result: Int32) throws(TLSError) -> Progress {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needsInput
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            let verdict = SSL_get_verify_result(ssl)
            if verdict != X509_V_OK {
                ERR_clear_error()
                throw .verification(explain(verdict))
            }
            throw .handshake(TLSClientContext.queuedErrors())
        }
    }

    private func explain(_ verdict: Int) -> String {
        let text = String(cString: X509_verify_cert_error_string(verdict))
        switch Int32(verdict) {
        case X509_V_ERR_IP_ADDRESS_MISMATCH, X509_V_ERR_HOSTNAME_MISMATCH:
            return "\(text): it does not name \(serverName)"
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
             X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return "\(text): no CA of \(trustedCAs) signed it"
        default:
            return text
        }
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var scratch = in6_addr()
        return inet_pton(AF_INET, text, &scratch) == 1 || inet_pton(AF_INET6, text, &scratch) == 1
    }
}
