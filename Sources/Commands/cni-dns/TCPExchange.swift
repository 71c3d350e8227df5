import Addressing
import DNSRecords
import Glibc

/// One query over TCP to an upstream, driven by the serving loop: a non-blocking connect, the framed
/// query written as the socket takes it, the framed answer read as it arrives. Nothing in it blocks,
/// so an upstream that accepts and never answers costs one descriptor until the deadline, and the
/// names we serve keep answering meanwhile.
struct TCPExchange {
    enum Progress {
        /// Wait for the socket again.
        case waiting
        /// The whole answer.
        case answered([UInt8])
        /// The connection failed or the upstream closed it before answering.
        case failed(String)
    }

    let descriptor: Int32
    let deadline: Double
    private var outgoing: [UInt8]
    private var sent = 0
    private var incoming: [UInt8] = []
    private var connected = false

    /// Starts connecting to `upstream`; a failure with the reason when not even that works.
    static func start(_ query: [UInt8], upstream: DNSUpstream, deadline: Double) -> Result<TCPExchange, TCPFailure> {
        let family = upstream.address.family == .ipv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return .failure(TCPFailure("socket: \(String(cString: strerror(errno)))")) }
        let result = SocketAddress(address: upstream.address, port: upstream.port).withSockAddr { connect(descriptor, $0, $1) }
        guard result == 0 || errno == EINPROGRESS else {
            let failure = TCPFailure("connect: \(String(cString: strerror(errno)))")
            Glibc.close(descriptor)
            return .failure(failure)
        }
        var exchange = TCPExchange(descriptor: descriptor, deadline: deadline,
                                   outgoing: [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query)
        exchange.connected = result == 0
        return .success(exchange)
    }

    private init(descriptor: Int32, deadline: Double, outgoing: [UInt8]) {
        self.descriptor = descriptor
        self.deadline = deadline
        self.outgoing = outgoing
    }

    /// What to poll for: writable until the query is out, then readable.
    var events: Int16 { Int16(sent < outgoing.count ? POLLOUT : POLLIN) }

    /// Moves the exchange on after poll reported `revents` for its socket.
    mutating func progress(_ revents: Int16) -> Progress {
        if !connected {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
                return .failed("connect: \(String(cString: strerror(error)))")
            }
            guard revents & Int16(POLLOUT) != 0 else { return .waiting }
            connected = true
        }
        while sent < outgoing.count {
            let count = outgoing.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, outgoing.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                return errno == EAGAIN || errno == EINTR ? .waiting : .failed("send: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count == 0 { return .failed("closed before answering") }
            if count < 0 {
                return errno == EAGAIN || errno == EINTR ? .waiting : .failed("recv: \(String(cString: strerror(errno)))")
            }
            incoming += chunk[0..<count]
            if incoming.count >= 2 {
                let length = Int(incoming[0]) << 8 | Int(incoming[1])
                if incoming.count >= 2 + length { return .answered(Array(incoming[2..<2 + length])) }
            }
        }
    }

    func close() { Glibc.close(descriptor) }
}

/// Why a TCP exchange could not start.
struct TCPFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
