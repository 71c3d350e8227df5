import COpenSSL
import Glibc

/// What a TLS client trusts and who it is: the CA certificates that may sign a server's certificate
/// and, optionally, a client certificate with its key. Loading it initialises OpenSSL; a program
/// that never makes one never runs OpenSSL's code.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer
    /// Where the trusted CAs come from, for messages: the CA file, or the system's store.
    let trustedCAs: String

    /// Reads the files now, so that a problem with them is reported once, naming the file.
    ///
    /// - Parameters:
    ///   - caFile: PEM certificates of the CAs to trust; `nil` trusts the system's store.
    ///   - certificateFile: the client's PEM certificate (chain), sent when the server asks.
    ///   - keyFile: the certificate's unencrypted PEM private key.
    public init(caFile: String?, certificateFile: String?, keyFile: String?) throws(TLSError) {
        guard copenssl_init() == 1, let context = SSL_CTX_new(TLS_client_method()) else {
            throw .handshake("OpenSSL could not be initialised: \(Self.queuedErrors())")
        }
        self.context = context
        trustedCAs = caFile.map { "caFile \($0)" } ?? "the system's CA certificates"
        copenssl_refuse_passphrases(context)
        _ = copenssl_set_minimum_tls12(context)
        copenssl_accept_unannounced_close(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            try Self.checkReadable(caFile, role: "caFile")
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .file(path: caFile, role: "caFile", detail: "holds no PEM certificate (\(Self.queuedErrors()))")
            }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
        switch (certificateFile, keyFile) {
        case (nil, nil): break
        case let (certificate?, key?):
            try Self.checkReadable(certificate, role: "certFile")
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw .file(path: certificate, role: "certFile", detail: "holds no PEM certificate (\(Self.queuedErrors()))")
            }
            try Self.checkReadable(key, role: "keyFile")
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                let reasons = Self.queuedErrors()
                // OpenSSL compares the key with the certificate as it loads it.
                if reasons.contains("key values mismatch") { throw .keyMismatch(certificate: certificate, key: key) }
                throw .file(path: key, role: "keyFile", detail: "holds no unencrypted PEM private key (\(reasons))")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                ERR_clear_error()
                throw .keyMismatch(certificate: certificate, key: key)
            }
        case (_?, nil), (nil, _?):
            preconditionFailure("a client certificate without its key, or the reverse; callers validate that")
        }
    }

    deinit { SSL_CTX_free(context) }

    /// OpenSSL reads files with stdio, whose failures leave nothing in its error queue worth
    /// showing; opening the file first yields the errno a person can act on.
    private static func checkReadable(_ path: String, role: String) throws(TLSError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .file(path: path, role: role, detail: String(cString: strerror(errno))) }
        var status = stat()
        let isRegular = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        Glibc.close(fd)
        guard isRegular else { throw .file(path: path, role: role, detail: "is not a regular file") }
    }

    /// OpenSSL's queued errors as one line, emptying the queue.
    static func queuedErrors() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            // "error:0A000086:SSL routines::certificate verify failed": the part after the codes.
            let line = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = line.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).joined(separator: ":")
            reasons.append(reason.isEmpty ? line : reason)
        }
        return reasons.isEmpty ? "no detail from OpenSSL" : reasons.joined(separator: "; ")
    }
}
