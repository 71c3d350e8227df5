import Addressing
import DNSRecords
import DNSWire
import Glibc
import Logging

/// Where a forwarded query's reply goes.
enum ReplyPath {
    case udp(descriptor: Int32, client: SocketAddress, limit: Int)
    case tcp(descriptor: Int32)
}

/// Queries for names outside our domains, sent to upstreams over UDP with a fresh random ID each,
/// a timeout per upstream, the next upstream on timeout, TCP when an answer comes truncated, and
/// SERVFAIL when every upstream failed. At most `limit` are in flight over UDP and `tcpLimit` over
/// TCP; beyond that, SERVFAIL at once. Nothing here blocks: the serving loop polls every socket.
final class Forwarder {
    struct Pending {
        let clientID: UInt16
        let path: ReplyPath
        var query: [UInt8]
        let upstreams: [DNSUpstream]
        var next: Int
        var asked: DNSUpstream
        var deadline: Double
    }

    static let timeout = 2.0
    static let limit = 4096
    static let tcpLimit = 64

    let v4: Int32
    let v6: Int32
    private var pending: [UInt16: Pending] = [:]
    /// Queries retried over TCP after a truncated answer, by their socket.
    private var exchanges: [Int32: (exchange: TCPExchange, entry: Pending)] = [:]
    private let logger: Logger
    private var lastFailureLog: [DNSUpstream: Double] = [:]
    private var generator = SystemRandomNumberGenerator()

    init(logger: Logger) throws(SystemCallError) {
        self.logger = logger
        v4 = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        v6 = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard v4 >= 0 else { throw SystemCallError("socket") }
    }

    var nextDeadline: Double? {
        let udp = pending.values.lazy.map(\.deadline).min()
        let tcp = exchanges.values.lazy.map(\.exchange.deadline).min()
        return [udp, tcp].compactMap { $0 }.min()
    }

    /// The TCP exchanges' sockets and what to poll each for.
    var tcpDescriptors: [(descriptor: Int32, events: Int16)] {
        exchanges.map { ($0.key, $0.value.exchange.events) }
    }

    func ownsTCP(_ descriptor: Int32) -> Bool { exchanges[descriptor] != nil }

    /// Starts forwarding `query` (the client's bytes) to `upstreams`.
    func forward(_ query: [UInt8], upstreams: [DNSUpstream], path: ReplyPath, send: (ReplyPath, [UInt8]) -> Void) {
        let clientID = UInt16(query[0]) << 8 | UInt16(query[1])
        guard !upstreams.isEmpty, pending.count < Self.limit else {
            send(path, Self.serverFailure(for: query))
            return
        }
        var id = UInt16.random(in: 0...UInt16.max, using: &generator)
        while pending[id] != nil { id = UInt16.random(in: 0...UInt16.max, using: &generator) }
        var bytes = query
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(id & 0xFF)
        var entry = Pending(clientID: clientID, path: path, query: bytes, upstreams: upstreams, next: 0,
                            asked: upstreams[0], deadline: 0)
        if transmit(&entry) { pending[id] = entry } else { send(path, Self.serverFailure(for: query)) }
    }

    /// Sends to the next upstream that takes the datagram; false when none is left.
    private func transmit(_ entry: inout Pending) -> Bool {
        while entry.next < entry.upstreams.count {
            let upstream = entry.upstreams[entry.next]
            entry.next += 1
            let descriptor = upstream.address.family == .ipv4 ? v4 : v6
            let sent = SocketAddress(address: upstream.address, port: upstream.port).withSockAddr {
                sendto(descriptor, entry.query, entry.query.count, 0, $0, $1)
            }
            if sent == entry.query.count {
                entry.asked = upstream
                entry.deadline = monotonicSeconds() + Self.timeout
                return true
            }
            failed(upstream, "send: \(String(cString: strerror(errno)))")
        }
        return false
    }

    /// Reads the upstreams' answers on `descriptor` and delivers them.
    func receive(on descriptor: Int32, send: (ReplyPath, [UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65535)
        var storage = sockaddr_storage()
        while true {
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count >= 0 else { return }
            guard count >= DNSHeader.length, let from = SocketAddress(&storage) else { continue }
            let id = UInt16(buffer[0]) << 8 | UInt16(buffer[1])
            // Only the upstream that was asked may answer: anything else is a stale or spoofed reply.
            guard let entry = pending[id], from.address == entry.asked.address, from.port == entry.asked.port else { continue }
            pending[id] = nil
            if buffer[2] & 0x02 != 0 {
                retryOverTCP(entry, send: send)
            } else {
                deliver(Array(buffer[0..<count]), for: entry, send: send)
            }
        }
    }

    /// Asks the upstream that answered truncated again over TCP, within the same timeout.
    private func retryOverTCP(_ entry: Pending, send: (ReplyPath, [UInt8]) -> Void) {
        guard exchanges.count < Self.tcpLimit else {
            failed(entry.asked, "\(Self.tcpLimit) queries over TCP in flight already")
            return serverFailure(entry, send: send)
        }
        switch TCPExchange.start(entry.query, upstream: entry.asked, deadline: monotonicSeconds() + Self.timeout) {
        case .success(let exchange): exchanges[exchange.descriptor] = (exchange, entry)
        case .failure(let failure):
            failed(entry.asked, "TCP \(failure.reason)")
            serverFailure(entry, send: send)
        }
    }

    /// Moves the TCP exchange on `descriptor` on after poll reported `revents`.
    func progressTCP(_ descriptor: Int32, revents: Int16, send: (ReplyPath, [UInt8]) -> Void) {
        guard let (started, entry) = exchanges[descriptor] else { return }
        var exchange = started
        switch exchange.progress(revents) {
        case .waiting:
            exchanges[descriptor] = (exchange, entry)
        case .answered(let answer):
            endTCP(descriptor)
            guard answer.count >= DNSHeader.length, answer[0] == entry.query[0], answer[1] == entry.query[1] else {
                failed(entry.asked, "TCP answer for another query")
                return serverFailure(entry, send: send)
            }
            deliver(answer, for: entry, send: send)
        case .failed(let reason):
            endTCP(descriptor)
            failed(entry.asked, "TCP \(reason)")
            serverFailure(entry, send: send)
        }
    }

    private func endTCP(_ descriptor: Int32) {
        exchanges.removeValue(forKey: descriptor)?.exchange.close()
    }

    /// Moves queries past their deadline to their next upstream, or answers SERVFAIL.
    func expire(send: (ReplyPath, [UInt8]) -> Void) {
        let now = monotonicSeconds()
        for (id, var entry) in pending where entry.deadline <= now {
            failed(entry.asked, "no answer in \(Self.timeout) s")
            if transmit(&entry) {
                pending[id] = entry
            } else {
                pending[id] = nil
                serverFailure(entry, send: send)
            }
        }
        for (descriptor, value) in exchanges where value.exchange.deadline <= now {
            endTCP(descriptor)
            failed(value.entry.asked, "no answer over TCP in \(Self.timeout) s")
            serverFailure(value.entry, send: send)
        }
    }

    /// SERVFAIL to `entry`'s client, with its ID.
    private func serverFailure(_ entry: Pending, send: (ReplyPath, [UInt8]) -> Void) {
        var failure = Self.serverFailure(for: entry.query)
        failure[0] = UInt8(entry.clientID >> 8)
        failure[1] = UInt8(entry.clientID & 0xFF)
        send(entry.path, failure)
    }

    private func deliver(_ answer: [UInt8], for entry: Pending, send: (ReplyPath, [UInt8]) -> Void) {
        var answer = answer
        if case .udp(_, _, let limit) = entry.path, answer.count > limit {
            // An answer fetched over TCP for a UDP client: cut to what the client takes, with TC.
            answer = (try? DNSMessage(parsing: answer).encoded(limit: limit)) ?? Self.serverFailure(for: entry.query)
        }
        answer[0] = UInt8(entry.clientID >> 8)
        answer[1] = UInt8(entry.clientID & 0xFF)
        send(entry.path, answer)
    }

    private func failed(_ upstream: DNSUpstream, _ reason: String) {
        let now = monotonicSeconds()
        guard now - (lastFailureLog[upstream] ?? -60) >= 10 else { return }
        lastFailureLog[upstream] = now
        logger.warning("upstream \(upstream) failed: \(reason)")
    }

    /// SERVFAIL for `query`: its header with QR, RA and rcode 2, its question if it has one.
    static func serverFailure(for query: [UInt8]) -> [UInt8] {
        if let message = try? DNSMessage(parsing: query) {
            var header = message.header
            header.isResponse = true
            header.recursionAvailable = true
            header.rcode = .serverFailure
            let reply = DNSMessage(header: DNSHeader(id: header.id, flags: header.flags & 0x7980 | 0x8000 | 2),
                                   questions: message.questions)
            if let bytes = try? reply.encoded() { return bytes }
        }
        var header = Array(query.prefix(DNSHeader.length))
        header += [UInt8](repeating: 0, count: DNSHeader.length - header.count)
        header[2] = header[2] & 0x79 | 0x80
        header[3] = 0x82
        header[4...].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return header
    }
}
