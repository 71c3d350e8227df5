import Glibc
import TLS

/// One HTTP/1.1 connection to one endpoint, kept alive between requests, over a POSIX socket, with
/// TLS when the endpoint is `https://`: every wait is a `poll` bounded by the caller's deadline, so a
/// dead or stopped server costs at most the time the caller allows.
final class HTTPConnection {
    let endpoint: EtcdEndpoint
    private var fd: Int32
    /// The TLS session over the socket, for an `https://` endpoint.
    private var tls: TLSSession?
    /// Whether the server has sent anything on this connection.
    private(set) var hasAnswered = false
    /// What one `recv` reads into.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 1)
    /// Bytes read past the end of the last response (none with etcd, which answers one at a time).
    private var buffer: [UInt8] = []
    private var bufferStart = 0

    /// Connects within `deadline`, and completes the TLS handshake with `tls` for an `https://`
    /// endpoint.
    init(to endpoint: EtcdEndpoint, tls context: TLSClientContext?, deadline: ContinuousClock.Instant) throws(EtcdError) {
        self.endpoint = endpoint
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            throw .unreachable("\(endpoint): cannot resolve \(endpoint.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                        | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .unreachable("\(endpoint): socket: \(String(cString: strerror(errno)))") }
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw failure("connect") }
            try wait(for: Int16(POLLOUT), until: deadline, doing: "connecting")
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { errno = error; throw failure("connect") }
        }
        if endpoint.usesTLS {
            guard let context else { throw .configuration("\(endpoint): an https:// endpoint without TLS settings") }
            try handshake(context, deadline: deadline)
        }
    }

    deinit {
        close()
        scratch.deallocate()
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    var isOpen: Bool { fd >= 0 }

    /// Sends one POST with a JSON body.
    func send(path: String, body: [UInt8], headers: [(String, String)], deadline: ContinuousClock.Instant) throws(EtcdError) {
        var head = "POST \(path) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        guard let tls else { return try transmit(bytes, deadline: deadline) }
        try tlsStep { () throws(TLSError) in try tls.write(bytes) }
        do throws(EtcdError) {
            try transmit(tls.takeOutgoing(), deadline: deadline)
        } catch {
            throw refusalAfterHandshake() ?? error
        }
    }

    /// Writes `bytes` to the socket.
    private func transmit(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(EtcdError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count > 0 { sent += count; continue }
            guard count < 0, errno == EAGAIN || errno == EINTR else { throw failure("send") }
            try wait(for: Int16(POLLOUT), until: deadline, doing: "sending")
        }
    }

    /// Reads a response's status line and headers.
    func readHead(deadline: ContinuousClock.Instant) throws(EtcdError) -> (status: Int, headers: [String: String]) {
        let statusLine = try readLine(deadline: deadline)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .protocolViolation("\(endpoint): status line \"\(statusLine)\"")
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine(deadline: deadline)
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingSpaces
        }
        return (status, headers)
    }

    /// Reads a whole body: by `Content-Length`, or all its chunks.
    func readBody(headers: [String: String], deadline: ContinuousClock.Instant) throws(EtcdError) -> [UInt8] {
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            return try readExactly(length, deadline: deadline)
        }
        guard headers["transfer-encoding"]?.lowercased() == "chunked" else {
            throw .protocolViolation("\(endpoint): a response without a length")
        }
        var body: [UInt8] = []
        while let chunk = try readChunk(deadline: deadline) { body += chunk }
        return body
    }

    /// The next chunk of a chunked body, or `nil` after the last.
    func readChunk(deadline: ContinuousClock.Instant) throws(EtcdError) -> [UInt8]? {
        let sizeLine = try readLine(deadline: deadline)
        let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
        guard let size = Int(sizeText.trimmingSpaces, radix: 16) else {
            throw .protocolViolation("\(endpoint): chunk size \"\(sizeLine)\"")
        }
        if size == 0 {
            while try !readLine(deadline: deadline).isEmpty {}
            return nil
        }
        let chunk = try readExactly(size, deadline: deadline)
        guard try readLine(deadline: deadline).isEmpty else { throw .protocolViolation("\(endpoint): chunk not ended") }
        return chunk
    }

    /// Whether bytes are ready to read without waiting.
    var hasBufferedData: Bool { bufferStart < buffer.count }

    private func readLine(deadline: ContinuousClock.Instant) throws(EtcdError) -> String {
        while true {
            if let newline = buffer[bufferStart...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > bufferStart && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[bufferStart..<end], as: UTF8.self)
                bufferStart = newline + 1
                return line
            }
            try fill(deadline: deadline)
        }
    }

    private func readExactly(_ count: Int, deadline: ContinuousClock.Instant) throws(EtcdError) -> [UInt8] {
        while buffer.count - bufferStart < count { try fill(deadline: deadline) }
        let bytes = Array(buffer[bufferStart..<bufferStart + count])
        bufferStart += count
        return bytes
    }

    private func fill(deadline: ContinuousClock.Instant) throws(EtcdError) {
        if bufferStart > 0 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        guard let tls else {
            buffer += scratch[..<(try receive(deadline: deadline))]
            hasAnswered = true
            return
        }
        while true {
            switch try tlsStep({ () throws(TLSError) in try tls.read(into: scratch) }) {
            case .done(let count):
                buffer += scratch[..<count]
                hasAnswered = true
                return
            case .closed:
                throw .unreachable("\(endpoint): the connection was closed")
            case .needsInput:
                let count: Int
                do throws(EtcdError) {
                    try transmit(tls.takeOutgoing(), deadline: deadline)
                    count = try receive(deadline: deadline)
                } catch {
                    throw refusalAfterHandshake() ?? error
                }
                tls.receive(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
            }
        }
    }

    /// Under TLS 1.3 a server checks the client's certificate after the client has finished its
    /// handshake, and refuses it with an alert and a closed (or reset) connection. When this
    /// connection failed before any answer, the alert it may hold names the refusal.
    private func refusalAfterHandshake() -> EtcdError? {
        guard let tls, !hasAnswered else { return nil }
        while case let count = recv(fd, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT)), count > 0 {
            tls.receive(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
        }
        do {
            _ = try tls.read(into: scratch)
            return nil
        } catch {
            return .tls("\(endpoint) refused the TLS session: \(error); does it accept the client certificate (certFile, keyFile)?")
        }
    }

    /// Whether `endpoint` answers a TLS ClientHello as a TLS server does: asked only once a plain
    /// request there went unanswered, to name the mistake of an `http://` URL for a TLS port.
    static func answersTLS(_ endpoint: EtcdEndpoint, deadline: ContinuousClock.Instant) -> Bool {
        do {
            let probe = try HTTPConnection(to: endpoint, tls: nil, deadline: deadline)
            let session = try TLSSession(TLSClientContext(caFile: nil, certificateFile: nil, keyFile: nil),
                                         serverName: endpoint.host)
            _ = try session.handshake()
            try probe.transmit(session.takeOutgoing(), deadline: deadline)
            let count = try probe.receive(deadline: deadline)
            // A TLS record of the handshake (a ServerHello) or an alert.
            return count >= 3 && (probe.scratch[0] == 0x16 || probe.scratch[0] == 0x15) && probe.scratch[1] == 0x03
        } catch {
            return false
        }
    }

    /// Reads what the socket has into `scratch`, waiting for it until `deadline`; how many bytes.
    private func receive(deadline: ContinuousClock.Instant) throws(EtcdError) -> Int {
        while true {
            let count = recv(fd, scratch.baseAddress, scratch.count, 0)
            if count > 0 { return count }
            if count == 0 { throw .unreachable("\(endpoint): the connection was closed") }
            guard errno == EAGAIN || errno == EINTR else { throw failure("recv") }
            try wait(for: Int16(POLLIN), until: deadline, doing: "waiting for an answer")
        }
    }

    /// The TLS handshake, within `deadline`. A peer that answers a ClientHello with something that
    /// is not TLS is named as such, the commonest mistake being an `https://` URL for a plain port.
    private func handshake(_ context: TLSClientContext, deadline: ContinuousClock.Instant) throws(EtcdError) {
        let session: TLSSession
        do { session = try TLSSession(context, serverName: endpoint.host) } catch { throw .tls("\(endpoint): \(error)") }
        while true {
            let progress: TLSSession.Progress
            do {
                progress = try session.handshake()
            } catch .handshake(let detail) {
                throw .tls("\(endpoint): the TLS handshake failed (\(detail)); is it a TLS endpoint? a plain one is http://")
            } catch {
                throw .tls("\(endpoint): \(error)")
            }
            try transmit(session.takeOutgoing(), deadline: deadline)
            switch progress {
            case .done:
                tls = session
                return
            case .closed:
                throw .tls("\(endpoint): closed the connection during the TLS handshake")
            case .needsInput:
                let count: Int
                do throws(EtcdError) {
                    count = try receive(deadline: deadline)
                } catch .unreachable(let detail) where detail.hasSuffix("the connection was closed") {
                    throw .tls("\(endpoint): closed the connection during the TLS handshake; is it a TLS endpoint?")
                }
                session.receive(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
            }
        }
    }

    /// A TLS operation after the handshake; what fails there is the server refusing the session (a
    /// client certificate it does not accept, under TLS 1.3 only known once the first answer comes).
    private func tlsStep<T>(_ body: () throws(TLSError) -> T) throws(EtcdError) -> T {
        do {
            return try body()
        } catch {
            throw .tls("\(endpoint) refused the TLS session: \(error); does it accept the client certificate (certFile, keyFile)?")
        }
    }

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant, doing what: String) throws(EtcdError) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = remaining <= .zero ? 0 : Int32(clamping: remaining.components.seconds * 1000
                + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw failure("poll") }
            throw .unreachable("\(endpoint): timed out \(what)")
        }
    }

    private func failure(_ call: String) -> EtcdError {
        .unreachable("\(endpoint): \(call): \(String(cString: strerror(errno)))")
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
