import CNftables
import Glibc

/// A netlink socket to netfilter (nf_tables and ctnetlink) in the calling thread's namespace.
///
/// Requests are plain byte buffers built by `MessageBuffer`; replies are handed out one netlink
/// message at a time. Every request carries its own sequence number, so acks and errors are matched
/// to the request that caused them.
final class NetfilterSocket {
    private let handle: OpaquePointer
    private let portID: UInt32
    private var lastSequence: UInt32
    /// Left uninitialized: the kernel writes what is read, and zeroing 32 KB in every plugin process
    /// cost eight page faults for pages a reply rarely reaches.
    private let receiveBuffer: UnsafeMutableRawBufferPointer

    init() throws {
        guard let handle = cnft_socket_open() else {
            throw FirewallError.unavailable("cannot open a netfilter netlink socket: \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        portID = mnl_socket_get_portid(handle)
        // Distinct from other processes' numbers only for readability of traces; the kernel
        // matches replies by port ID.
        lastSequence = UInt32(truncatingIfNeeded: time(nil))
        receiveBuffer = .allocate(byteCount: max(cnft_socket_buffer_size(), 32768), alignment: 16)
    }

    deinit {
        mnl_socket_close(handle)
        receiveBuffer.deallocate()
    }

    func nextSequence() -> UInt32 {
        lastSequence &+= 1
        return lastSequence
    }

    func send(_ message: MessageBuffer) throws {
        let sent = message.withBytes { mnl_socket_sendto(handle, $0.baseAddress, $0.count) }
        guard sent >= 0 else { throw FirewallError.unavailable("netlink send failed: \(String(cString: strerror(errno)))") }
    }

    /// Sends `request`, a dump with sequence number `seq`, and hands each reply message to `body`
    /// until the kernel ends the dump. Returns the kernel's error, or `nil` if the dump went through.
    func dump(_ request: MessageBuffer, seq: UInt32, _ body: (UnsafePointer<nlmsghdr>) -> Void) throws -> KernelAck? {
        try send(request)
        var failure: KernelAck?
        try receive { header in
            guard header.pointee.nlmsg_seq == seq else { return true }
            switch Int32(header.pointee.nlmsg_type) {
            case NLMSG_DONE:
                return false
            case NLMSG_ERROR:
                var ack = cnft_ack()
                _ = cnft_decode_ack(header, &ack)
                if ack.error != 0 { failure = KernelAck(ack) }
                return false
            default:
                body(header)
                return true
            }
        }
        return failure
    }

    /// Reads replies, handing each message to `body`, until `body` returns `false`.
    func receive(_ body: (UnsafePointer<nlmsghdr>) throws -> Bool) throws {
        while true {
            let count = mnl_socket_recvfrom(handle, receiveBuffer.baseAddress, receiveBuffer.count)
            guard count >= 0 else {
                throw FirewallError.unavailable("netlink receive failed: \(String(cString: strerror(errno)))")
            }
            var remaining = Int32(count)
            var message = cnft_first_message(receiveBuffer.baseAddress, remaining)
            while let current = message {
                if current.pointee.nlmsg_pid == portID || current.pointee.nlmsg_pid == 0 {
                    guard try body(current) else { return }
                }
                message = cnft_next_message(current, &remaining)
            }
        }
    }

    /// Sends `message` and collects one ack per sequence number in `expected`: the kernel's errno
    /// for each (0 when it succeeded), with its extended-ack text.
    func exchange(_ message: MessageBuffer, expecting expected: Set<UInt32>) throws -> [UInt32: KernelAck] {
        try send(message)
        var acks: [UInt32: KernelAck] = [:]
        guard !expected.isEmpty else { return acks }
        try receive { header in
            var ack = cnft_ack()
            if cnft_decode_ack(header, &ack) == 1, expected.contains(ack.seq) {
                acks[ack.seq] = KernelAck(ack)
            }
            return acks.count < expected.count
        }
        return acks
    }
}

/// The kernel's answer to one request.
struct KernelAck {
    let error: Int32
    let message: String

    init(error: Int32, message: String) {
        self.error = error
        self.message = message
    }

    init(_ ack: cnft_ack) {
        error = ack.error
        var text = ack.message
        message = withUnsafeBytes(of: &text) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// "File exists", plus the kernel's own words when it gave some.
    var description: String {
        let base = String(cString: strerror(error))
        return message.isEmpty ? base : "\(base) (\(message))"
    }
}
