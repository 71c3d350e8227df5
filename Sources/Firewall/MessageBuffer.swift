import CNftables
import Glibc

/// Netlink messages laid end to end, as one `sendmsg` carries them. libnftnl writes each message
/// in place; the buffer makes sure there is room before it does.
final class MessageBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    /// The most any single message of ours takes (a rule with a dozen expressions, or a set element
    /// with 256 bytes of user data, is well under this).
    private static let messageReserve = 8192

    init(capacity: Int = 32768) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Appends one message: `build` receives the address to write it at and returns its header;
    /// the message's `nlmsg_len` says how far it went.
    func append(_ build: (UnsafeMutableRawPointer) -> UnsafeMutablePointer<nlmsghdr>) {
        reserve(Self.messageReserve)
        let header = build(storage + count)
        count += Int(header.pointee.nlmsg_len + 3) & ~3
        precondition(count <= capacity, "netlink message overran its buffer")
    }

    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    private func reserve(_ bytes: Int) {
        guard capacity - count < bytes else { return }
        let grown = max(capacity * 2, count + bytes)
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        moved.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = moved
        capacity = grown
    }
}
