import Glibc

/// A connection to a unix stream socket that exchanges newline-terminated lines.
public final class UnixStreamClient {
    private let descriptor: Int32

    /// Connects to the socket at `path`. Throws the `Errno` of `socket` or `connect`: `ENOENT` or
    /// `ECONNREFUSED` when nobody listens there.
    public init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Errno(ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw Errno(code)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes `line` (which ends in a newline) and reads back one line, newline included. Waits at
    /// most `timeout` for the reply; throws `Errno(ETIMEDOUT)` past it and `Errno(ECONNRESET)` when
    /// the peer closes before a whole line.
    public func exchange(_ line: [UInt8], timeout: Duration) throws -> [UInt8] {
        var written = 0
        while written < line.count {
            let count = line[written...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Errno(errno)
            }
            written += count
        }
        let deadline = ContinuousClock.now + timeout
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while reply.last != UInt8(ascii: "\n") {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw Errno(ETIMEDOUT) }
            var ready = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            let polled = poll(&ready, 1, milliseconds)
            if polled < 0 {
                if errno == EINTR { continue }
                throw Errno(errno)
            }
            guard polled > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Errno(errno)
            }
            guard count > 0 else { throw Errno(ECONNRESET) }
            reply += chunk[..<count]
        }
        return reply
    }
}
