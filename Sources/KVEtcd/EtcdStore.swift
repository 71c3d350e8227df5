import JSON
import KV

/// The `KeyValueStore` protocol on an etcd v3 cluster, through its JSON gateway, with every key
/// under `namespace`. Updates run optimistically (`OptimisticUpdate`); every request ends within the
/// configured timeout.
public final class EtcdStore: KeyValueStore {
    let client: EtcdClient
    let wire: EtcdWire

    /// Connects lazily: nothing is sent before the first request.
    public init(_ configuration: EtcdClientConfiguration, namespace: String = "") throws {
        do {
            client = try EtcdClient(configuration)
        } catch {
            throw error.kvError
        }
        wire = EtcdWire(namespace: Array(namespace.utf8))
    }

    public func get(_ key: String) throws -> KeyValue? {
        try checked(key)
        let answer = try call("/v3/kv/range", .object(["key": wire.key(key)]))
        return try translate { () throws(EtcdError) in try wire.keyValues(answer["kvs"]).first }
    }

    public func range(prefix: String) throws -> RangeResult {
        let answer = try call("/v3/kv/range", .object(wire.range(prefix)))
        return RangeResult(kvs: try translate { () throws(EtcdError) in try wire.keyValues(answer["kvs"]) },
                           revision: EtcdWire.revision(answer))
    }

    /// Each page is a range request with `limit`, the next starting just after the last key and
    /// pinned to the first page's revision (which etcd reads from its history).
    @discardableResult
    public func range(prefix: String, limit: Int, _ body: ([KeyValue]) throws -> Void) throws -> Int64 {
        guard limit > 0 else { throw KVError.invalidArgument("a range page limit must be positive, not \(limit)") }
        var request = wire.range(prefix)
        request["limit"] = EtcdWire.string(Int64(limit))
        var first: JSONValue?
        while true {
            let answer = try call("/v3/kv/range", .object(request))
            let page = try translate { () throws(EtcdError) in try wire.keyValues(answer["kvs"]) }
            // A later page's header has the cluster's revision now, not the one it was read at.
            first = first ?? answer
            if !page.isEmpty { try body(page) }
            guard answer["more"] == .bool(true), let last = page.last else { return EtcdWire.revision(first!) }
            request["key"] = wire.key(last.key + "\u{0}")
            request["revision"] = first!["header"]?["revision"]
        }
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) throws -> Int64 {
        try checked(key)
        return EtcdWire.revision(try call("/v3/kv/put", .object(["key": wire.key(key), "value": .string(Base64.encode(value))])))
    }

    /// Sent over the kept-alive connection, which the answer keeps until `wait` reads it (other
    /// requests meanwhile open another); without one, the whole put happens in `wait`.
    public func sendPut(_ key: String, _ value: [UInt8]) throws -> PendingWrite {
        try checked(key)
        let call = client.send("/v3/kv/put", .object(["key": wire.key(key), "value": .string(Base64.encode(value))]))
        return PendingWrite { [self] in EtcdWire.revision(try translate { () throws(EtcdError) in try call.answer() }) }
    }

    @discardableResult
    public func delete(_ key: String) throws -> Int {
        try checked(key)
        return Int(EtcdWire.int(try call("/v3/kv/deleterange", .object(["key": wire.key(key)]))["deleted"]))
    }

    @discardableResult
    public func delete(prefix: String) throws -> Int {
        Int(EtcdWire.int(try call("/v3/kv/deleterange", .object(wire.range(prefix)))["deleted"]))
    }

    public func commit(_ transaction: Transaction) throws -> TransactionResult {
        if let problem = transaction.overlappingWrite { throw KVError.invalidArgument(problem) }
        for compare in transaction.compares where !compare.isPrefix { try checked(compare.key) }
        for operation in transaction.success + transaction.failure { try checked(operation) }
        let answer = try call("/v3/kv/txn", leasing: transaction.leases, .object([
            "compare": .array(transaction.compares.map(wire.compare)),
            "success": .array(transaction.success.map(wire.request)),
            "failure": .array(transaction.failure.map(wire.request)),
        ]))
        let succeeded = answer["succeeded"] == .bool(true)
        let operations = succeeded ? transaction.success : transaction.failure
        var responses: [JSONValue] = []
        if case .array(let items)? = answer["responses"] { responses = items }
        guard responses.count == operations.count else {
            throw EtcdError.protocolViolation("a transaction of \(operations.count) operations had \(responses.count) answers").kvError
        }
        let results = try translate { () throws(EtcdError) in
            var results: [OperationResult] = []
            for (response, operation) in zip(responses, operations) { results.append(try wire.result(response, for: operation)) }
            return results
        }
        return TransactionResult(succeeded: succeeded, revision: EtcdWire.revision(answer), results: results)
    }

    public func revision() throws -> Int64 {
        EtcdWire.revision(try call("/v3/kv/range", wire.revisionRequest))
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> any KeyValueWatch {
        guard afterRevision >= 0 else { throw KVError.negativeWatchStart(afterRevision) }
        let current = try revision()
        if afterRevision < current {
            // A range read at the first revision the watch needs fails exactly when the watch would be
            // cancelled for compaction, and does so now rather than on a later `next`.
            do {
                _ = try client.call("/v3/kv/range", .object(["key": wire.key("\u{0}"), "count_only": .bool(true),
                                                             "revision": EtcdWire.string(EtcdWire.etcdRevision(afterRevision + 1))]))
            } catch .server(_, let code, _) where code == 11 {
                let watch = try EtcdWatch(client: EtcdClient(sharingSettingsOf: client), wire: wire, prefix: prefix,
                                          afterRevision: afterRevision)
                defer { watch.cancel() }
                _ = try watch.next(timeout: client.configuration.timeout)
                throw KVError.unavailable("etcd reported revision \(afterRevision + 1) compacted but the watch did not")
            } catch {
                throw error.kvError
            }
        }
        return try translate { () throws(EtcdError) in
            try EtcdWatch(client: EtcdClient(sharingSettingsOf: client), wire: wire, prefix: prefix, afterRevision: afterRevision)
        }
    }

    /// Optimistic, with more attempts than a local store needs: a network round trip lies between an
    /// attempt's reads and its commit, so contenders overtake one another more often.
    public func update<T>(_ body: (TransactionContext) throws -> T) throws -> T {
        try OptimisticUpdate.run(on: self, attempts: 40, body)
    }

    /// Discards history before `revision` (a protocol revision): watches from earlier report
    /// `KVError.compacted`. etcd clusters usually compact on their own (`--auto-compaction-*`).
    public func compact(before revision: Int64) throws {
        _ = try call("/v3/kv/compaction", .object(["revision": EtcdWire.string(EtcdWire.etcdRevision(revision))]))
    }

    func call(_ path: String, _ body: JSONValue) throws -> JSONValue {
        try translate { () throws(EtcdError) in try client.call(path, body) }
    }

    private func translate<T>(_ body: () throws(EtcdError) -> T) throws -> T {
        do { return try body() } catch { throw error.kvError }
    }

    func checked(_ key: String) throws {
        if key.isEmpty { throw KVError.emptyKey }
    }

    private func checked(_ operation: Operation) throws {
        switch operation {
        case .put(let key, _), .leasedPut(let key, _, _), .delete(let key), .get(let key): try checked(key)
        case .deletePrefix, .range: break
        }
    }
}

extension Compare {
    fileprivate var isPrefix: Bool {
        if case .modRevisions = self { true } else { false }
    }
}
