import Addressing
import CSystemCalls
import Glibc

/// Buffers for receiving and sending up to `size` datagrams per system call (recvmmsg, sendmmsg),
/// allocated once: at 150k queries a second, one call per datagram is most of the cost.
struct DatagramBatch {
    let size = Int(CSYSTEM_BATCH_MAX)
    static let receiveSize = 4096
    static let sendSize = 65535
    private let received: UnsafeMutablePointer<csystem_datagram>
    private let replies: UnsafeMutablePointer<csystem_datagram>

    init() {
        received = .allocate(capacity: size)
        replies = .allocate(capacity: size)
        for index in 0..<size {
            received[index] = csystem_datagram()
            received[index].buffer = .allocate(byteCount: Self.receiveSize, alignment: 16)
            received[index].capacity = Self.receiveSize
            replies[index] = csystem_datagram()
            replies[index].buffer = .allocate(byteCount: Self.sendSize, alignment: 16)
            replies[index].capacity = Self.sendSize
        }
    }

    /// Receives what is waiting, without blocking; the number of datagrams.
    func receive(on descriptor: Int32) -> Int {
        max(Int(csystem_receive_datagrams(descriptor, received, UInt32(size))), 0)
    }

    func source(_ index: Int) -> SocketAddress? {
        withUnsafePointer(to: &received[index].peer) { SocketAddress($0) }
    }

    func payload(_ index: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: received[index].buffer, count: received[index].length))
    }

    func setReply(_ index: Int, _ bytes: [UInt8], to client: SocketAddress) {
        let count = min(bytes.count, Self.sendSize)
        bytes.withUnsafeBytes { replies[index].buffer.copyMemory(from: $0.baseAddress!, byteCount: count) }
        replies[index].length = count
        replies[index].peer_length = withUnsafeMutablePointer(to: &replies[index].peer) { client.write(to: $0) }
    }

    /// Sends the first `count` replies; a full socket buffer drops the rest, as a lost datagram would.
    func send(_ count: Int, on descriptor: Int32) {
        var sent = 0
        while sent < count {
            let result = csystem_send_datagrams(descriptor, replies + sent, UInt32(count - sent))
            guard result > 0 else { return }
            sent += Int(result)
        }
    }
}
