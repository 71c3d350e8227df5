import KV

/// Everything a `MemoryStore` holds: the keys, the store-wide revision and the history watches replay.
struct MemoryKeyspace {
    var revision: Int64 = 0
    /// The newest revision whose history is gone.
    var compacted: Int64 = 0
    var keys: [String: KeyValue] = [:]
    /// Every write after `compacted`, in revision order and, within one, in the order written.
    var history: [WatchEvent] = []
    /// Each lease not yet ended: its TTL in seconds and when it expires.
    var leases: [LeaseID: (ttl: Int64, expiry: ContinuousClock.Instant)] = [:]
    /// The lease each leased key is attached to.
    var attached: [String: LeaseID] = [:]
    /// The last lease ID handed out: IDs are never reused, so an ended lease's holder cannot keep
    /// another alive.
    var lastLease: Int64 = 0

    func get(_ key: String) throws -> KeyValue? {
        guard !key.isEmpty else { throw KVError.emptyKey }
        guard let kv = keys[key], isLive(key, at: leases.isEmpty ? nil : .now) else { return nil }
        return kv
    }

    func range(prefix: String) -> [KeyValue] {
        let now: ContinuousClock.Instant? = leases.isEmpty ? nil : .now
        return keys.values.filter { $0.key.utf8.starts(with: prefix.utf8) && isLive($0.key, at: now) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// Whether `key` is not attached to a lease that has expired by `now` (`nil`: no lease exists).
    private func isLive(_ key: String, at now: ContinuousClock.Instant?) -> Bool {
        guard let now, let lease = attached[key] else { return true }
        return leases[lease].map { $0.expiry > now } ?? false
    }

    /// The leases expired by `now`, in ID order.
    func expiredLeases(at now: ContinuousClock.Instant) -> [LeaseID] {
        leases.filter { $0.value.expiry <= now }.keys.sorted { $0.rawValue < $1.rawValue }
    }

    /// The recorded writes under `prefix` after `revision`, oldest first.
    func events(prefix: String, after revision: Int64) -> [WatchEvent] {
        history.filter { $0.revision > revision && $0.key.utf8.starts(with: prefix.utf8) }
    }

    /// Throws unless the history after `revision` is all still kept.
    func checkRetained(after revision: Int64) throws {
        guard revision >= compacted else {
            throw KVError.compacted(requested: revision, oldestAvailable: compacted + 1)
        }
    }
}

/// The work of one transaction on a copy of the keyspace, which the store keeps only if the work
/// completes. As in every backend, all writes belong to the revision after the current one, which is
/// taken only if something is actually written.
final class MemoryWriteScope: TransactionScope {
    private(set) var keyspace: MemoryKeyspace
    private var written: [WatchEvent] = []

    init(_ keyspace: MemoryKeyspace) {
        self.keyspace = keyspace
    }

    var wrote: Bool { !written.isEmpty }

    /// The store revision as this transaction leaves it.
    var revision: Int64 { wrote ? newRevision : keyspace.revision }

    private var newRevision: Int64 { keyspace.revision + 1 }

    func get(_ key: String) throws -> KeyValue? { try keyspace.get(key) }

    func range(prefix: String) throws -> [KeyValue] { keyspace.range(prefix: prefix) }

    func put(_ key: String, _ value: [UInt8]) throws {
        let previous = try keyspace.get(key)
        let kv = KeyValue(key: key, value: value, createRevision: previous?.createRevision ?? newRevision,
                          modRevision: newRevision, version: (previous?.version ?? 0) + 1)
        keyspace.keys[key] = kv
        keyspace.attached[key] = nil
        written.append(.put(kv))
    }

    func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws {
        guard let held = keyspace.leases[lease], held.expiry > .now else { throw KVError.leaseNotFound(lease) }
        try put(key, value)
        keyspace.attached[key] = lease
    }

    func revoke(_ lease: LeaseID) throws -> Bool {
        guard keyspace.leases.removeValue(forKey: lease) != nil else { return false }
        let doomed = keyspace.attached.filter { $0.value == lease }.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for key in doomed { remove(key) }
        return true
    }

    func delete(_ key: String) throws -> Int {
        guard try keyspace.get(key) != nil else { return 0 }
        remove(key)
        return 1
    }

    func delete(prefix: String) throws -> Int {
        let doomed = keyspace.range(prefix: prefix)
        for kv in doomed { remove(kv.key) }
        return doomed.count
    }

    /// The keyspace with this transaction's writes at the new revision, history pruned to the last
    /// `historyLimit` revisions.
    func finish(historyLimit: Int64) -> MemoryKeyspace {
        guard wrote else { return keyspace }
        var finished = keyspace
        finished.revision = newRevision
        finished.history += written
        let oldestKept = newRevision - historyLimit + 1
        if oldestKept > finished.compacted + 1 {
            finished.compacted = oldestKept - 1
            let pruned = finished.history.prefix { $0.revision < oldestKept }.count
            finished.history.removeFirst(pruned)
        }
        return finished
    }

    private func remove(_ key: String) {
        keyspace.keys[key] = nil
        keyspace.attached[key] = nil
        written.append(.delete(key: key, revision: newRevision))
    }
}
