import Addressing
import Glibc
import POSIX

/// One real DNS query over UDP, as a container would send it: CHECK's proof that the responder
/// answers for a record, not only that the record is stored.
enum DNSProbe {
    enum Failure: Error, CustomStringConvertible {
        case noAnswer(String, IPAddress)
        case rcode(Int, String, IPAddress)
        case malformed(IPAddress)

        var description: String {
            switch self {
            case .noAnswer(let name, let server): "no answer for \(name) from \(server):53"
            case .rcode(let code, let name, let server): "\(server):53 answered \(name) with rcode \(code)"
            case .malformed(let server): "\(server):53 sent a malformed answer"
            }
        }
    }

    /// The addresses `server` answers for `name` in `family`'s record type (A or AAAA).
    static func addresses(of name: String, family: AddressFamily, server: IPAddress,
                          timeout: Duration = .seconds(1)) throws -> [IPAddress] {
        let id = UInt16.random(in: 0...UInt16.max)
        let type: UInt16 = family == .ipv4 ? 1 : 28
        var query: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.utf8.split(separator: UInt8(ascii: ".")) {
            query.append(UInt8(label.count))
            query += label
        }
        query += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]

        let reply = try exchange(query, with: server, timeout: timeout) ?? []
        guard reply.count >= 12 else { throw Failure.noAnswer(name, server) }
        guard reply[0] == query[0], reply[1] == query[1] else { throw Failure.malformed(server) }
        let rcode = Int(reply[3] & 0x0f)
        guard rcode == 0 else { throw Failure.rcode(rcode, name, server) }
        guard let found = try? answers(in: reply, type: type) else { throw Failure.malformed(server) }
        return found
    }

    /// The addresses in the answer section's records of `type`.
    private static func answers(in reply: [UInt8], type: UInt16) throws -> [IPAddress] {
        var reader = Reader(bytes: reply, offset: 12)
        let questions = Int(reply[4]) << 8 | Int(reply[5])
        let answers = Int(reply[6]) << 8 | Int(reply[7])
        var found: [IPAddress] = []
        for _ in 0..<questions {
            try reader.skipName()
            try reader.skip(4)
        }
        for _ in 0..<answers {
            try reader.skipName()
            let answerType = try reader.uint16()
            try reader.skip(6)
            let data = try reader.take(Int(try reader.uint16()))
            if answerType == type, let address = IPAddress(bytes: data) { found.append(address) }
        }
        return found
    }

    private static func exchange(_ query: [UInt8], with server: IPAddress, timeout: Duration) throws -> [UInt8]? {
        let fd = socket(Int32(server.family.rawValue), Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(errno) }
        defer { close(fd) }
        let connected = SocketAddress(address: server, port: 53).withSockAddr { connect(fd, $0, $1) }
        guard connected == 0 else { throw Errno(errno) }
        guard query.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == query.count else { throw Errno(errno) }
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var ready = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            let left = ContinuousClock.now.duration(to: deadline)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&ready, 1, milliseconds) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { return Array(buffer[..<count]) }
            if count < 0, errno != EINTR { throw Errno(errno) }
        }
        return nil
    }

    private struct Reader {
        struct End: Error {}
        let bytes: [UInt8]
        var offset: Int

        mutating func skip(_ count: Int) throws {
            guard offset + count <= bytes.count else { throw End() }
            offset += count
        }

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard offset + count <= bytes.count else { throw End() }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        mutating func uint16() throws -> UInt16 {
            let two = try take(2)
            return UInt16(two.first!) << 8 | UInt16(two.last!)
        }

        /// Skips a name in place: its labels up to the root, or up to a compression pointer.
        mutating func skipName() throws {
            while true {
                let length = try take(1).first!
                if length == 0 { return }
                if length & 0xc0 == 0xc0 { return try skip(1) }
                try skip(Int(length))
            }
        }
    }
}
