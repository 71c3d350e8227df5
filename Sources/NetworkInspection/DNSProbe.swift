import Addressing
import DNSWire
import Glibc

/// One DNS question sent over UDP to a responder, as a resolver would send it.
public struct DNSProbe {
    public struct Answer: Sendable, Encodable {
        public let server: String
        public let name: String
        public let type: String
        public let rcode: Int
        public let authoritative: Bool
        public let records: [String]
        public let milliseconds: Double
    }

    public enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        case timeout(String)
        case malformed(String)

        public var description: String {
            switch self {
            case let .system(what, code): "\(what): \(String(cString: strerror(code)))"
            case let .timeout(server): "no answer from \(server) within 2 s"
            case let .malformed(why): "the answer is not a DNS message: \(why)"
            }
        }
    }

    public let server: SocketAddress

    public init(server: SocketAddress) {
        self.server = server
    }

    /// Asks for `name`'s `type` records (A or AAAA, PTR for a reverse name), with recursion desired.
    public func query(_ name: String, type: DNSType) throws -> Answer {
        let question = try DNSName(name)
        var header = DNSHeader(id: UInt16.random(in: 1...UInt16.max), questionCount: 1)
        header.recursionDesired = true
        let query = try DNSMessage(header: header, questions: [DNSQuestion(name: question, type: type)]).encoded()
        let family = server.address.family == .ipv4 ? AF_INET : AF_INET6
        let socket = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw Failure.system("socket", errno) }
        defer { close(socket) }
        let started = Self.now()
        let sent = server.withSockAddr { address, length in query.withUnsafeBytes { sendto(socket, $0.baseAddress, $0.count, 0, address, length) } }
        guard sent == query.count else { throw Failure.system("sending to \(server.address) port 53", errno) }
        var buffer = [UInt8](repeating: 0, count: 65535)
        while true {
            let left = 2000 - Int32((Self.now() - started) * 1000)
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&descriptor, 1, left) > 0 else { throw Failure.timeout("\(server.address) port \(server.port)") }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else { throw Failure.system("receiving", errno) }
            let reply: DNSMessage
            do {
                reply = try DNSMessage(parsing: Array(buffer[..<count]))
            } catch {
                throw Failure.malformed("\(error)")
            }
            guard reply.header.id == header.id, reply.header.isResponse else { continue }
            return Answer(server: "\(server.address)", name: name, type: Self.name(of: type), rcode: Int(reply.header.rcode.rawValue),
                          authoritative: reply.header.isAuthoritative, records: reply.answers.map(Self.describe),
                          milliseconds: ((Self.now() - started) * 1e6).rounded() / 1e3)
        }
    }

    static func describe(_ record: ResourceRecord) -> String {
        let data: String
        switch record.data {
        case .a(let address): data = "A \(address)"
        case .aaaa(let address): data = "AAAA \(address)"
        case .ptr(let name): data = "PTR \(name)"
        case .soa(let soa): data = "SOA \(soa.primary) \(soa.mailbox)"
        case .opaque(let type, let bytes): data = "TYPE\(type.rawValue) (\(bytes.count) octets)"
        }
        return "\(record.name) \(record.ttl) \(data)"
    }

    static func name(of type: DNSType) -> String {
        switch type {
        case .a: "A"
        case .aaaa: "AAAA"
        case .ptr: "PTR"
        default: "TYPE\(type.rawValue)"
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
