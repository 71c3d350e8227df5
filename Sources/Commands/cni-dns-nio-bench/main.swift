import Addressing
import DNSRecords
import DNSResponder
import DNSWire
import NIOCore
import NIOPosix
import Stores

/// cni-dns-nio-bench --data-dir DIR --address IP --port N
///
/// The benchmark's SwiftNIO contender: the records of DIR's store in the same `Zone` cni-dns
/// answers from, served over UDP on IP port N (IP answers as that gateway) by one NIO event loop reading datagrams in batches
/// (`datagramVectorReadMessageCount`). Local names only (SERVFAIL for the rest), no TCP, no reload:
/// what bench_dns.py measures against cni-dns's recvmmsg loop, and nothing more.
final class ZoneHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let zone: Zone
    let server: IPAddress
    var rotation = 0

    init(zone: Zone, server: IPAddress) {
        self.zone = zone
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        guard let client = Self.address(envelope.remoteAddress), let query = try? DNSMessage(parsing: bytes) else { return }
        rotation &+= 1
        let reply: DNSMessage
        switch zone.resolve(query, client: client, server: server, rotation: rotation) {
        case .reply(let message): reply = message
        case .forward: reply = Zone.error(.serverFailure, to: query)
        case .drop: return
        }
        guard let answer = try? reply.encoded(limit: Zone.udpLimit(for: query)) else { return }
        let buffer = context.channel.allocator.buffer(bytes: answer)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    static func address(_ address: NIOCore.SocketAddress) -> IPAddress? {
        switch address {
        case .v4(let v4): .v4(IPv4Address(UInt32(bigEndian: v4.address.sin_addr.s_addr)))
        case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { IPAddress(bytes: $0) }
        default: nil
        }
    }
}

var arguments = CommandLine.arguments.dropFirst()
var dataDir = StoreConfiguration.defaultDataDir
var listen: IPAddress?
var port = 53
while let argument = arguments.popFirst() {
    switch argument {
    case "--data-dir": dataDir = arguments.popFirst() ?? dataDir
    case "--address": listen = arguments.popFirst().flatMap { IPAddress($0) }
    case "--port": port = arguments.popFirst().flatMap { Int($0) } ?? port
    default: fatalError("usage: cni-dns-nio-bench --data-dir DIR --address IP --port N")
    }
}
guard let listen else { fatalError("usage: cni-dns-nio-bench --data-dir DIR --address IP --port N") }
let store = try openStore(try .local(validating: dataDir))
let zone = Zone(records: try DNSRecordStore(store: store).all().records, defaultUpstreams: [])
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try DatagramBootstrap(group: group)
    .channelOption(.datagramVectorReadMessageCount, value: 64)
    // A vector read splits the receive buffer evenly among its messages: 64 of 4096 octets, as cni-dns reads.
    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 4096))
    .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ZoneHandler(zone: zone, server: listen)) }
    }
    .bind(host: listen.description, port: port)
    .wait()
print("serving on \(listen) port \(port)")
try channel.closeFuture.wait()
