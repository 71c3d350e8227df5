import KV

/// A store held in this process's memory, for tests of what is built on the protocol (IPAM, say),
/// which then need no file, and for anything else that wants the protocol without persistence.
///
/// One instance is one store: threads share it by sharing the instance, and every call holds its
/// lock, so `update` runs natively and is serializable. Watches keep exactly the last `historyLimit`
/// revisions. Everything is gone when the last reference is.
public final class MemoryStore: ScopedKeyValueStore, @unchecked Sendable {
    /// How many revisions of history watches can replay, unless a store is made with another limit.
    public static let defaultHistoryLimit: Int64 = 5_000

    /// Revisions of history kept for watches; older ones are pruned as new revisions are written.
    public let historyLimit: Int64

    let monitor = Monitor()
    /// Read and written only with `monitor`'s lock held.
    var keyspace = MemoryKeyspace()

    public init(historyLimit: Int64 = MemoryStore.defaultHistoryLimit) {
        precondition(historyLimit > 0, "historyLimit must be positive, not \(historyLimit)")
        self.historyLimit = historyLimit
    }

    public func get(_ key: String) throws -> KeyValue? {
        try monitor.withLock { try keyspace.get(key) }
    }

    public func range(prefix: String) throws -> RangeResult {
        monitor.withLock { RangeResult(kvs: keyspace.range(prefix: prefix), revision: keyspace.revision) }
    }

    /// The keys are in memory anyway: pages of one range read.
    public func range(prefix: String, limit: Int, _ body: ([KeyValue]) throws -> Void) throws -> Int64 {
        guard limit > 0 else { throw KVError.invalidArgument("a range page limit must be positive, not \(limit)") }
        let result = try range(prefix: prefix)
        for start in stride(from: 0, to: result.kvs.count, by: limit) {
            try body(Array(result.kvs[start..<min(start + limit, result.kvs.count)]))
        }
        return result.revision
    }

    public func revision() throws -> Int64 {
        monitor.withLock { keyspace.revision }
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> any KeyValueWatch {
        try MemoryWatch(self, prefix: prefix, afterRevision: afterRevision)
    }

    public func grantLease(ttl: Duration) throws -> LeaseID {
        monitor.withLock {
            keyspace.lastLease += 1
            let lease = LeaseID(rawValue: keyspace.lastLease)
            keyspace.leases[lease] = (ttl.leaseSeconds, .now + .seconds(ttl.leaseSeconds))
            return lease
        }
    }

    public func keepAlive(_ lease: LeaseID) throws -> Duration? {
        monitor.withLock {
            guard let held = keyspace.leases[lease], held.expiry > .now else { return nil }
            keyspace.leases[lease] = (held.ttl, .now + .seconds(held.ttl))
            return .seconds(held.ttl)
        }
    }

    public func timeToLive(_ lease: LeaseID) throws -> Duration? {
        monitor.withLock {
            guard let held = keyspace.leases[lease] else { return nil }
            let left = ContinuousClock.now.duration(to: held.expiry)
            return left > .zero ? left : nil
        }
    }

    /// Runs `body` with the store's lock held, on a copy of the keyspace that replaces the store's only
    /// if `body` returns. Leases that have expired end first, in a revision of their own.
    public func writing<T>(_ body: (any TransactionScope) throws -> T) throws -> (value: T, revision: Int64) {
        try monitor.withLock {
            try expireLeases()
            let scope = MemoryWriteScope(keyspace)
            let value = try body(scope)
            // Kept even when no key changed: a revoked lease without keys is gone all the same.
            keyspace = scope.finish(historyLimit: historyLimit)
            if scope.wrote { monitor.broadcast() }
            return (value, scope.revision)
        }
    }

    /// Ends the leases that have expired, deleting their keys; call with the lock held.
    private func expireLeases() throws {
        let expired = keyspace.expiredLeases(at: .now)
        guard !expired.isEmpty else { return }
        let scope = MemoryWriteScope(keyspace)
        for lease in expired { _ = try scope.revoke(lease) }
        keyspace = scope.finish(historyLimit: historyLimit)
        if scope.wrote { monitor.broadcast() }
    }
}
