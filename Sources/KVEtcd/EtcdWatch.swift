import Glibc
import JSON
import KV

/// A streaming `/v3/watch` on its own connection. After a disconnect it opens the stream again from
/// the revision after the last one delivered, so no event is lost or repeated.
final class EtcdWatch: KeyValueWatch {
    private let client: EtcdClient
    private let wire: EtcdWire
    private let prefix: String
    /// The last revision delivered (protocol numbering).
    private var delivered: Int64
    private var connection: HTTPConnection?
    private var pending: [UInt8] = []
    private var cancelled = false
    /// The revision through which the stream has sent everything under the prefix: the header of
    /// its last message.
    private var complete: Int64

    /// etcd sends a watch what was committed shortly after the commit (and replays history every
    /// 100 ms), while a local store's watch sees a commit at once. So a call with a shorter timeout
    /// than this asks for the store revision, and when the stream is behind it waits up to this long
    /// for the events, as a local store would have returned them already.
    static let catchUpWindow: Duration = .milliseconds(300)

    init(client: EtcdClient, wire: EtcdWire, prefix: String, afterRevision: Int64) throws(EtcdError) {
        self.client = client
        self.wire = wire
        self.prefix = prefix
        self.delivered = afterRevision
        self.complete = afterRevision
        try open()
    }

    func next(timeout: Duration) throws -> [WatchEvent] {
        guard !cancelled else { return [] }
        var deadline = ContinuousClock.now.advanced(by: timeout)
        var target: Int64?
        if timeout < Self.catchUpWindow {
            let current = try storeRevision()
            if current > complete {
                target = current
                deadline = ContinuousClock.now.advanced(by: Self.catchUpWindow)
            }
        }
        var collected: [WatchEvent] = []
        while true {
            do {
                if connection == nil { try open() }
                guard let message = try nextMessage(deadline: deadline) else { return collected }
                collected += try handle(message)
                if !collected.isEmpty && complete >= (target ?? complete) { return collected }
            } catch let error as EtcdError {
                guard case .unreachable = error else { throw error.kvError }
                connection?.close()
                connection = nil
                if !collected.isEmpty || ContinuousClock.now >= deadline { return collected }
                // The server went away: open the stream again, from where it left off, until the deadline.
                do { try open() } catch {
                    if ContinuousClock.now >= deadline { return collected }
                    usleep(100_000)
                }
            }
        }
    }

    func cancel() {
        cancelled = true
        connection?.close()
        connection = nil
    }

    private func storeRevision() throws -> Int64 {
        do {
            return EtcdWire.revision(try client.call("/v3/kv/range", wire.revisionRequest))
        } catch {
            throw error.kvError
        }
    }

    /// Opens the stream after `delivered`; returns the store revision when it was created.
    @discardableResult
    private func open() throws(EtcdError) -> Int64 {
        pending = []
        var request = wire.range(prefix)
        request["start_revision"] = EtcdWire.string(EtcdWire.etcdRevision(delivered + 1))
        let connection = try client.stream("/v3/watch", .object(["create_request": .object(request)]))
        self.connection = connection
        let deadline = ContinuousClock.now.advanced(by: client.configuration.timeout)
        while true {
            guard let message = try nextMessage(deadline: deadline) else {
                throw .unreachable("\(connection.endpoint): the watch was not created in time")
            }
            if message["result"]?["created"] == .bool(true) { return EtcdWire.revision(message["result"]!) }
            if message["error"] != nil { throw .protocolViolation("the watch was refused: \(message)") }
        }
    }

    /// One newline-delimited JSON message of the stream, or `nil` at the deadline.
    private func nextMessage(deadline: ContinuousClock.Instant) throws(EtcdError) -> JSONValue? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
                do { return try JSONParser.parse(line) } catch {
                    throw .protocolViolation("watch message: \(error)")
                }
            }
            guard let connection else { return nil }
            do throws(EtcdError) {
                guard let chunk = try connection.readChunk(deadline: deadline) else {
                    throw EtcdError.unreachable("\(connection.endpoint): the watch stream ended")
                }
                pending += chunk
            } catch .unreachable(let detail) where detail.hasSuffix("timed out waiting for an answer") {
                return nil
            }
        }
    }

    private func handle(_ message: JSONValue) throws -> [WatchEvent] {
        if let error = message["error"] {
            throw EtcdError.server(status: 200, code: Int(EtcdWire.int(error["grpc_code"] ?? error["code"])),
                                   message: "\(error)").kvError
        }
        guard let result = message["result"] else { return [] }
        let compacted = EtcdWire.int(result["compact_revision"])
        if compacted > 0 {
            cancel()
            throw KVError.compacted(requested: delivered, oldestAvailable: EtcdWire.storeRevision(compacted))
        }
        guard case .array(let items)? = result["events"] else { return [] }
        var events: [WatchEvent] = []
        for item in items {
            let kv = try translate(item["kv"] ?? .object([:]))
            if item["type"] == .string("DELETE") {
                events.append(.delete(key: kv.key, revision: kv.modRevision))
            } else {
                events.append(.put(kv))
            }
        }
        if let last = events.last { delivered = last.revision }
        complete = max(complete, delivered, EtcdWire.revision(result))
        return events
    }

    private func translate(_ json: JSONValue) throws -> KeyValue {
        do { return try wire.keyValue(json) } catch { throw error.kvError }
    }
}
