import JSON
import TLS

/// How to reach an etcd cluster: its members, how long any one request may take, and credentials.
public struct EtcdClientConfiguration: Sendable, Equatable {
    public var endpoints: [EtcdEndpoint]
    /// The most one request may take, failover included.
    public var timeout: Duration
    public var username: String?
    public var password: String?
    /// What `https://` endpoints are verified with and the client shows them.
    public var tls: EtcdTLSFiles
    /// Where the authentication token is kept between processes (`EtcdTokenFile`); `nil` keeps it
    /// in this process only.
    public var tokenFile: String?

    public init(endpoints: [EtcdEndpoint], timeout: Duration = .seconds(2), username: String? = nil, password: String? = nil,
                tls: EtcdTLSFiles = EtcdTLSFiles(), tokenFile: String? = nil) {
        self.endpoints = endpoints
        self.timeout = timeout
        self.username = username
        self.password = password
        self.tls = tls
        self.tokenFile = tokenFile
    }
}

/// The PEM files of TLS to etcd, as etcd's own `--trusted-ca-file`, `--cert-file` and `--key-file`
/// name them on the server.
public struct EtcdTLSFiles: Sendable, Equatable {
    /// The CAs a server's certificate must chain to; without it, the system's CA certificates.
    public var caFile: String?
    /// The client certificate and its key, for a cluster run with `--client-cert-auth`; both or neither.
    public var certFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// Whether any file is named.
    public var isEmpty: Bool { caFile == nil && certFile == nil && keyFile == nil }
}

/// Requests to etcd v3's JSON gateway over one kept-alive connection, moving to the next endpoint
/// when one does not answer.
final class EtcdClient {
    let configuration: EtcdClientConfiguration
    private var connection: HTTPConnection?
    /// The endpoint to try first: the last one that answered.
    private var current = 0
    private var token: String?
    /// Made only when an endpoint is `https://`: a client of plain endpoints never runs OpenSSL.
    private let tls: TLSClientContext?

    init(_ configuration: EtcdClientConfiguration) throws(EtcdError) {
        guard !configuration.endpoints.isEmpty else { throw .configuration("no etcd endpoints are configured") }
        guard configuration.tls.certFile == nil || configuration.tls.keyFile != nil,
              configuration.tls.keyFile == nil || configuration.tls.certFile != nil else {
            throw .configuration("a client certificate needs its key, and a key its certificate")
        }
        self.configuration = configuration
        if configuration.endpoints.contains(where: \.usesTLS) {
            do {
                tls = try TLSClientContext(caFile: configuration.tls.caFile, certificateFile: configuration.tls.certFile,
                                           keyFile: configuration.tls.keyFile)
            } catch {
                throw .tls("TLS to etcd: \(error)")
            }
        } else {
            tls = nil
        }
    }

    /// Another client of the same cluster, with a connection of its own and the TLS files already read.
    init(sharingSettingsOf other: EtcdClient) {
        configuration = other.configuration
        tls = other.tls
    }

    private var tokenFile: EtcdTokenFile? {
        guard let path = configuration.tokenFile, let user = configuration.username else { return nil }
        return EtcdTokenFile(path: path, user: user, password: configuration.password ?? "")
    }

    var endpointList: String { configuration.endpoints.map(\.description).joined(separator: ", ") }

    /// POSTs `body` to `path` and returns the decoded answer. A request is sent again to another
    /// endpoint only when the first could not have received it (no connection, or a kept-alive
    /// connection the server had closed before the request was written).
    func call(_ path: String, _ body: JSONValue) throws(EtcdError) -> JSONValue {
        let deadline = ContinuousClock.now.advanced(by: configuration.timeout)
        try ensureToken(deadline: deadline)
        do throws(EtcdError) {
            return try exchange(path, body, deadline: deadline)
        } catch .server(_, let code, _) where code == 16 && configuration.username != nil {
            // The token expired (etcd's simple tokens last five minutes), was revoked, or was issued
            // by another member (simple tokens are a member's own): one new one, one retry.
            try authenticate(deadline: deadline)
            return try exchange(path, body, deadline: deadline)
        }
    }

    /// Opens a connection that carries one streaming request; the caller reads its chunks.
    func stream(_ path: String, _ body: JSONValue) throws(EtcdError) -> HTTPConnection {
        let deadline = ContinuousClock.now.advanced(by: configuration.timeout)
        try ensureToken(deadline: deadline)
        do throws(EtcdError) {
            return try openStream(path, body, deadline: deadline)
        } catch .server(_, let code, _) where code == 16 && configuration.username != nil {
            try authenticate(deadline: deadline)
            return try openStream(path, body, deadline: deadline)
        }
    }

    private func openStream(_ path: String, _ body: JSONValue, deadline: ContinuousClock.Instant) throws(EtcdError) -> HTTPConnection {
        var failures: [String] = []
        for offset in 0..<configuration.endpoints.count {
            let index = (current + offset) % configuration.endpoints.count
            do throws(EtcdError) {
                let connection = try HTTPConnection(to: configuration.endpoints[index], tls: tls, deadline: deadline)
                try connection.send(path: path, body: JSONWriter.write(body), headers: headers, deadline: deadline)
                let (status, headers) = try connection.readHead(deadline: deadline)
                guard status == 200 else {
                    throw serverError(status, try connection.readBody(headers: headers, deadline: deadline), from: connection.endpoint)
                }
                current = index
                return connection
            } catch .unreachable(let detail) {
                failures.append(detail)
            }
        }
        throw .unreachable("no etcd endpoint answered within \(configuration.timeout) (\(failures.joined(separator: "; ")))")
    }

    private var headers: [(String, String)] { token.map { [("Authorization", $0)] } ?? [] }

    /// A token when the configuration names a user: the one kept in the token file, else a new one.
    private func ensureToken(deadline: ContinuousClock.Instant) throws(EtcdError) {
        guard configuration.username != nil && token == nil else { return }
        token = tokenFile?.load()
        if token == nil { try authenticate(deadline: deadline) }
    }

    private func authenticate(deadline: ContinuousClock.Instant) throws(EtcdError) {
        token = nil
        let user = configuration.username ?? ""
        let answer: JSONValue
        do {
            answer = try exchange("/v3/auth/authenticate", .object([
                "name": .string(user), "password": .string(configuration.password ?? ""),
            ]), deadline: deadline)
        } catch .server(_, _, let message) {
            throw .refused("etcd at \(configuration.endpoints[current]) refused user \"\(user)\": \(message)")
        }
        guard case .string(let token)? = answer["token"] else {
            throw .protocolViolation("authentication as \(configuration.username ?? "") returned no token")
        }
        self.token = token
        tokenFile?.save(token)
    }

    private func exchange(_ path: String, _ body: JSONValue, deadline: ContinuousClock.Instant) throws(EtcdError) -> JSONValue {
        let bytes = JSONWriter.write(body)
        var failures: [String] = []
        var attempts = 0
        while attempts < configuration.endpoints.count + 1 {
            attempts += 1
            let reused = connection != nil
            let connection: HTTPConnection
            do throws(EtcdError) {
                if let open = self.connection {
                    connection = open
                } else {
                    connection = try HTTPConnection(to: configuration.endpoints[current], tls: tls, deadline: deadline)
                }
            } catch .unreachable(let detail) {
                failures.append(detail)
                moveOn()
                if ContinuousClock.now >= deadline { break }
                continue
            }
            self.connection = connection
            do throws(EtcdError) {
                try connection.send(path: path, body: bytes, headers: headers, deadline: deadline)
                defer { if !connection.isOpen { drop() } }
                return try answer(on: connection, to: path, deadline: deadline)
            } catch .tls(let detail) {
                drop()
                throw .tls(detail)
            } catch .unreachable(let detail) where reused && detail.hasSuffix("the connection was closed") {
                // The server closed an idle kept-alive connection; it never saw this request.
                drop()
            } catch .unreachable(let detail) {
                drop()
                moveOn()
                // etcd closes a TLS port's connection that does not start with a TLS handshake, unanswered.
                if !reused && !connection.endpoint.usesTLS && !connection.hasAnswered
                    && HTTPConnection.answersTLS(connection.endpoint, deadline: deadline) {
                    throw .tls("\(connection.endpoint) speaks TLS: write it https://, with caFile (and certFile, keyFile"
                        + " if it asks for a client certificate)")
                }
                throw .unreachable("etcd at \(connection.endpoint) did not answer \(path) within \(configuration.timeout)"
                    + " (\(detail)); endpoints: \(endpointList)")
            }
        }
        throw .unreachable("no etcd endpoint answered within \(configuration.timeout) (\(failures.joined(separator: "; ")))")
    }

    /// Reads the answer to the request just sent on `connection`, closing it when the server ends it.
    private func answer(on connection: HTTPConnection, to path: String,
                        deadline: ContinuousClock.Instant) throws(EtcdError) -> JSONValue {
        let (status, headers) = try connection.readHead(deadline: deadline)
        let answer = try connection.readBody(headers: headers, deadline: deadline)
        if headers["connection"]?.lowercased() == "close" { connection.close() }
        guard status == 200 else { throw serverError(status, answer, from: connection.endpoint) }
        do {
            return try JSONParser.parse(answer)
        } catch {
            throw EtcdError.protocolViolation("\(connection.endpoint)\(path): \(error)")
        }
    }

    /// Sends `body` to `path` over the kept-alive connection and returns without waiting:
    /// `PendingCall.answer` reads the answer, so the caller works while etcd handles the request.
    /// The pending call holds the connection until then (any other request opens another). With
    /// no open connection, or no token yet, nothing is sent now and `answer` makes the whole call.
    func send(_ path: String, _ body: JSONValue) -> PendingCall {
        guard let connection, configuration.username == nil || token != nil else {
            return PendingCall(client: self, path: path, body: body, connection: nil)
        }
        self.connection = nil
        do throws(EtcdError) {
            try connection.send(path: path, body: JSONWriter.write(body), headers: headers,
                                deadline: ContinuousClock.now.advanced(by: configuration.timeout))
            return PendingCall(client: self, path: path, body: body, connection: connection)
        } catch {
            connection.close()
            return PendingCall(client: self, path: path, body: body, connection: nil)
        }
    }

    /// A request `send` sent, whose answer is still to be read.
    final class PendingCall {
        private let client: EtcdClient
        private let path: String
        private let body: JSONValue
        private var connection: HTTPConnection?

        fileprivate init(client: EtcdClient, path: String, body: JSONValue, connection: HTTPConnection?) {
            self.client = client
            self.path = path
            self.body = body
            self.connection = connection
        }

        /// The answer, as `call` gives it; the request is made in full here when it was not sent, or
        /// when the server had closed the kept-alive connection before reading it. Read once.
        func answer() throws(EtcdError) -> JSONValue {
            guard let connection else { return try client.call(path, body) }
            self.connection = nil
            let configuration = client.configuration
            do throws(EtcdError) {
                let answer = try client.answer(on: connection, to: path,
                                               deadline: ContinuousClock.now.advanced(by: configuration.timeout))
                client.keep(connection)
                return answer
            } catch .server(_, let code, _) where code == 16 && configuration.username != nil {
                // The token expired: `call` authenticates again and repeats the request.
                client.keep(connection)
                return try client.call(path, body)
            } catch .unreachable(let detail) where detail.hasSuffix("the connection was closed") {
                // Closed while idle, before the server read the request.
                connection.close()
                return try client.call(path, body)
            } catch .unreachable(let detail) {
                connection.close()
                throw .unreachable("etcd at \(connection.endpoint) did not answer \(path) within \(configuration.timeout)"
                    + " (\(detail)); endpoints: \(client.endpointList)")
            }
        }
    }

    /// Takes back a connection a pending call used, unless another was opened meanwhile.
    private func keep(_ connection: HTTPConnection) {
        if self.connection == nil && connection.isOpen { self.connection = connection } else { connection.close() }
    }

    private func drop() {
        connection?.close()
        connection = nil
    }

    private func moveOn() {
        current = (current + 1) % configuration.endpoints.count
    }

    private func serverError(_ status: Int, _ body: [UInt8], from endpoint: EtcdEndpoint) -> EtcdError {
        let document = try? JSONParser.parse(body)
        let message: String
        if case .string(let text)? = document?["message"] ?? document?["error"] { message = text }
        else { message = String(decoding: body.prefix(200), as: UTF8.self) }
        // etcd could not pass the certificate's name through its gateway as the user, so refuses it.
        if status == 400 && message.contains("CommonName of client sending a request against gateway") {
            return .tls("\(endpoint) refuses the client certificate \(configuration.tls.certFile ?? "")"
                + ": with authentication on, etcd's JSON gateway takes only client certificates without a CommonName (CN)")
        }
        var code = 0
        if case .number(let text)? = document?["code"] { code = Int(text) ?? 0 }
        return .server(status: status, code: code, message: message)
    }
}

extension JSONValue {
    subscript(member: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[member]
    }
}
