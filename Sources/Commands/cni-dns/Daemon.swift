import Addressing
import CSystemCalls
import DNSRecords
import DNSResponder
import DNSWire
import Glibc
import KV
import Logging

/// The responder: one thread polling the control socket, the listeners, TCP clients and the
/// upstream sockets. UDP queries are read and answered in batches (recvmmsg/sendmmsg).
final class Daemon {
    private let store: DNSRecordStore
    private let kv: any KeyValueStore
    private let logger: Logger
    private let control: Int32
    private let forwarder: Forwarder
    private var zone = Zone(records: [], defaultUpstreams: [])
    private var revision: Int64 = -1
    private var listeners: [IPAddress: Listener] = [:]
    private var unbound: [UnboundListener] = []
    private var tcpClients: [Int32: TCPClient] = [:]
    private var rotation = 0
    private let batch = DatagramBatch()
    private var lastRevisionCheck = 0.0
    /// The store's changes after `revision`, so that a sync applies only what was written since.
    private var changes: (any KeyValueWatch)?

    struct TCPClient {
        let server: IPAddress
        let client: IPAddress
        var buffer: [UInt8] = []
        var lastActive: Double
    }

    static let tcpIdle = 10.0
    static let tcpClientLimit = 256

    init(store: any KeyValueStore, control: Int32, logger: Logger) throws {
        kv = store
        self.store = DNSRecordStore(store: store)
        self.control = control
        self.logger = logger
        forwarder = try Forwarder(logger: logger)
    }

    /// Loads every record and makes the listeners match their gateways.
    func reload() throws {
        let upstreams = hostNameservers().map { DNSUpstream(address: $0) }
        var builder = Zone.Builder(defaultUpstreams: upstreams, hostAddresses: HostAddresses.current())
        let revision = try store.all { builder.add($0) }
        zone = builder.zone()
        self.revision = revision
        changes?.cancel()
        changes = try? kv.watch(prefix: DNSRecordStore.prefix, afterRevision: revision)
        bindListeners()
        // The pages read and the records decoded from them (and the zone replaced) are freed by now,
        // below the zone's memory allocated after them: glibc returns only the top of its heap to
        // the kernel on free, malloc_trim every whole free page.
        _ = csystem_trim_heap()
        logger.info("loaded revision \(revision): \(zone.recordCount) records, listening on \(listeners.keys.sorted().map(\.description).joined(separator: " "))")
    }

    /// Brings the zone to the store's current revision. The records written since `revision` are
    /// inserted when each is a new attachment's (an ADD: the cost of that record alone, whatever the
    /// number of names) and removed when each is the only record of its container and not the last
    /// of its network (a DEL); anything else (a replaced record, a second network of a container,
    /// a network's last record, history no longer kept) reloads everything.
    func catchUp() throws {
        let current = try kv.revision()
        guard current != revision else { return }
        guard current > revision, let changes, let events = try? changes.next(timeout: .zero) else { return try reload() }
        let served = zone.listenAddresses
        var inserted = 0, removed = 0
        for event in events where event.revision > revision {
            switch event {
            case .put(let kv):
                guard let record = DNSRecordStore.record(kv) else { return try reload() }
                // A gateway not known yet may be a new address of this host (a new network's bridge).
                if !zone.knowsGateways(of: record), HostAddresses.current() != zone.hostAddresses { return try reload() }
                guard zone.insert(record) else { return try reload() }
                inserted += 1
            case .delete(let key, _):
                guard let owner = DNSRecordStore.owner(ofKey: key) else { return try reload() }
                // On a store hosts share: another host's DEL on a network not served here changes nothing.
                if !zone.serves(owner.network.description) { continue }
                guard zone.remove(owner) else { return try reload() }
                removed += 1
            }
        }
        revision = max(current, events.last?.revision ?? current)
        if zone.listenAddresses != served { bindListeners() }
        logger.debug("revision \(revision): \(inserted) records added, \(removed) removed")
    }

    /// Closes the listeners of gateways without records and binds those of new ones (and those
    /// that could not be bound before).
    private func bindListeners() {
        let wanted = zone.listenAddresses
        for (address, listener) in listeners where !wanted.contains(address) {
            listener.close()
            listeners[address] = nil
        }
        var unbound: [UnboundListener] = []
        for address in wanted.sorted() where listeners[address] == nil {
            do {
                listeners[address] = try Listener.bind(address)
                logger.info("listening on \(address) port \(Listener.port)")
            } catch {
                let holder = error.errno == EADDRINUSE ? PortHolder.describe(address, port: Listener.port) : error.description
                unbound.append(UnboundListener(address: address, port: Listener.port, holder: holder))
                logger.error("cannot listen on \(address) port \(Listener.port): \(error) (held by \(holder))")
            }
        }
        self.unbound = unbound
    }

    var isEmpty: Bool { zone.isEmpty }

    /// Serves until no records remain.
    func run() {
        while !zone.isEmpty {
            var descriptors = [pollfd(fd: control, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: forwarder.v4, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: forwarder.v6, events: Int16(POLLIN), revents: 0)]
            for listener in listeners.values {
                descriptors.append(pollfd(fd: listener.udp, events: Int16(POLLIN), revents: 0))
                descriptors.append(pollfd(fd: listener.tcp, events: Int16(POLLIN), revents: 0))
            }
            for descriptor in tcpClients.keys { descriptors.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)) }
            for (descriptor, events) in forwarder.tcpDescriptors {
                descriptors.append(pollfd(fd: descriptor, events: events, revents: 0))
            }
            var timeout = 1000
            if let deadline = forwarder.nextDeadline {
                timeout = max(0, min(timeout, Int((deadline - monotonicSeconds()) * 1000) + 1))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(timeout))
            if ready > 0 {
                for entry in descriptors where entry.revents != 0 { dispatch(entry.fd, entry.revents) }
            }
            forwarder.expire(send: reply)
            let now = monotonicSeconds()
            if now - lastRevisionCheck >= 1 {
                lastRevisionCheck = now
                pollStore()
                closeIdleClients(now: now)
            }
        }
        logger.info("no records left, exiting")
    }

    private func dispatch(_ descriptor: Int32, _ revents: Int16) {
        if descriptor == control {
            serveControl()
        } else if descriptor == forwarder.v4 || descriptor == forwarder.v6 {
            forwarder.receive(on: descriptor, send: reply)
        } else if forwarder.ownsTCP(descriptor) {
            forwarder.progressTCP(descriptor, revents: revents, send: reply)
        } else if tcpClients[descriptor] != nil {
            serveTCP(descriptor)
        } else if let listener = listeners.values.first(where: { $0.udp == descriptor }) {
            serveUDP(listener)
        } else if let listener = listeners.values.first(where: { $0.tcp == descriptor }) {
            accept(on: listener)
        }
    }

    /// A store written without a sync (another tool, a DEL whose sync timed out) is picked up within a second.
    private func pollStore() {
        do { try catchUp() } catch { logger.error("reload failed: \(error)") }
    }

    // MARK: queries

    /// What to send for one query's bytes: an answer now, a forward started, or nothing.
    private func handle(_ bytes: [UInt8], client: IPAddress, server: IPAddress, path: ReplyPath) -> [UInt8]? {
        guard let query = try? DNSMessage(parsing: bytes) else { return Zone.formatError(forUnparsable: bytes) }
        rotation &+= 1
        var path = path
        if case .udp(let descriptor, let client, _) = path {
            path = .udp(descriptor: descriptor, client: client, limit: Zone.udpLimit(for: query))
        }
        switch zone.resolve(query, client: client, server: server, rotation: rotation) {
        case .reply(let message):
            if case .udp(_, _, let limit) = path { return try? message.encoded(limit: limit) }
            return try? message.encoded()
        case .forward(let upstreams):
            forwarder.forward(bytes, upstreams: upstreams, path: path, send: reply)
            return nil
        case .drop:
            return nil
        }
    }

    private func serveUDP(_ listener: Listener) {
        // Bounded so that one busy listener does not starve the others and the control socket.
        for _ in 0..<16 {
            let received = batch.receive(on: listener.udp)
            guard received > 0 else { return }
            var replies = 0
            for index in 0..<received {
                guard let client = batch.source(index) else { continue }
                let query = batch.payload(index)
                let path = ReplyPath.udp(descriptor: listener.udp, client: client, limit: DNSMessage.classicUDPSize)
                if let answer = handle(query, client: client.address, server: listener.address, path: path) {
                    batch.setReply(replies, answer, to: client)
                    replies += 1
                }
            }
            batch.send(replies, on: listener.udp)
            if received < batch.size { return }
        }
    }

    private func reply(_ path: ReplyPath, _ bytes: [UInt8]) {
        switch path {
        case .udp(let descriptor, let client, _):
            _ = client.withSockAddr { sendto(descriptor, bytes, bytes.count, 0, $0, $1) }
        case .tcp(let descriptor):
            guard tcpClients[descriptor] != nil else { return }
            let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
            if send(descriptor, framed, framed.count, Int32(MSG_DONTWAIT)) != framed.count {
                closeClient(descriptor)
            }
        }
    }

    private func accept(on listener: Listener) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(0)
            let descriptor = csystem_accept(listener.tcp, &storage, &length)
            guard descriptor >= 0 else { return }
            guard tcpClients.count < Self.tcpClientLimit, let client = SocketAddress(&storage) else {
                close(descriptor)
                continue
            }
            tcpClients[descriptor] = TCPClient(server: listener.address, client: client.address, lastActive: monotonicSeconds())
        }
    }

    private func serveTCP(_ descriptor: Int32) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        guard count > 0, var state = tcpClients[descriptor] else {
            if count == 0 || (errno != EAGAIN && errno != EINTR) { closeClient(descriptor) }
            return
        }
        state.buffer += chunk[0..<count]
        state.lastActive = monotonicSeconds()
        var messages: [[UInt8]] = []
        while state.buffer.count >= 2 {
            let length = Int(state.buffer[0]) << 8 | Int(state.buffer[1])
            guard state.buffer.count >= 2 + length else { break }
            messages.append(Array(state.buffer[2..<2 + length]))
            state.buffer.removeFirst(2 + length)
        }
        tcpClients[descriptor] = state
        for message in messages {
            if let answer = handle(message, client: state.client, server: state.server, path: .tcp(descriptor: descriptor)) {
                reply(.tcp(descriptor: descriptor), answer)
            }
        }
    }

    private func closeIdleClients(now: Double) {
        for (descriptor, state) in tcpClients where now - state.lastActive > Self.tcpIdle { closeClient(descriptor) }
    }

    private func closeClient(_ descriptor: Int32) {
        tcpClients[descriptor] = nil
        close(descriptor)
    }

    // MARK: control

    /// One request per connection: a line of JSON in, a line out. Requests are small and come from
    /// plugins that wrote them at once, so the line is read with a short blocking timeout.
    private func serveControl() {
        var storage = sockaddr_storage()
        var length = socklen_t(0)
        let client = csystem_accept(control, &storage, &length)
        guard client >= 0 else { return }
        defer { close(client) }
        // Accepted non-blocking; the request may still be on its way.
        setBlocking(client)
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        _ = setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !line.contains(UInt8(ascii: "\n")), line.count < 65536 {
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            line += chunk[0..<count]
        }
        let answer: ResponderReply
        do {
            let request = try ControlLine.decode(ResponderRequest.self, from: line.prefix { $0 != UInt8(ascii: "\n") })
            if case .sync(let wanted) = request {
                if wanted > revision { try catchUp() }
                if !unbound.isEmpty { bindListeners() }
            }
            if case .sync(let wanted) = request, wanted > revision {
                answer = ResponderReply(revision: revision, unbound: unbound,
                                        error: "store is at revision \(revision), below the \(wanted) asked for")
            } else {
                answer = ResponderReply(revision: revision, unbound: unbound)
            }
        } catch {
            answer = ResponderReply(revision: revision, unbound: unbound, error: "\(error)")
        }
        if let bytes = try? ControlLine.encode(answer) { _ = send(client, bytes, bytes.count, 0) }
    }
}
