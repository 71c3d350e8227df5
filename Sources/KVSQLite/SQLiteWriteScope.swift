import KV

/// The work of one immediate transaction. Reads see its own earlier writes, and every write belongs to
/// the one revision after the store's current one, which is taken only if something is actually written:
/// a transaction that writes nothing, or only deletes missing keys, leaves the revision alone.
final class SQLiteWriteScope: TransactionScope {
    private let keyspace: SQLiteKeyspace
    private let startRevision: Int64
    /// Writes so far, which also numbers each one's place in the history of the new revision.
    private var writes: Int64 = 0

    /// Must be created inside the immediate transaction, so that no other writer can move the revision.
    init(_ keyspace: SQLiteKeyspace) throws {
        self.keyspace = keyspace
        startRevision = try keyspace.state().revision
    }

    var wrote: Bool { writes > 0 }

    /// The store revision as this transaction leaves it.
    var revision: Int64 { wrote ? newRevision : startRevision }

    private var newRevision: Int64 { startRevision + 1 }

    func get(_ key: String) throws -> KeyValue? { try keyspace.get(key) }

    func range(prefix: String) throws -> [KeyValue] { try keyspace.range(prefix: prefix) }

    func modRevisions(prefix: String) throws -> [Int64] { try keyspace.modRevisions(prefix: prefix) }

    func put(_ key: String, _ value: [UInt8]) throws {
        let written = try keyspace.put(key, value, at: newRevision)
        try record(key, value, createRevision: written.createRevision, version: written.version)
    }

    func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws {
        guard try keyspace.expiry(of: lease.rawValue) != nil else { throw KVError.leaseNotFound(lease) }
        let written = try keyspace.put(key, value, lease: lease.rawValue, at: newRevision)
        try record(key, value, createRevision: written.createRevision, version: written.version)
    }

    func revoke(_ lease: LeaseID) throws -> Bool {
        for key in try keyspace.deleteKeys(of: lease.rawValue) {
            try record(key, nil, createRevision: 0, version: 0)
        }
        return try keyspace.deleteLease(lease.rawValue)
    }

    func delete(_ key: String) throws -> Int {
        guard try keyspace.delete(key) else { return 0 }
        try record(key, nil, createRevision: 0, version: 0)
        return 1
    }

    func delete(prefix: String) throws -> Int {
        let keys = try keyspace.delete(prefix: prefix)
        for key in keys {
            try record(key, nil, createRevision: 0, version: 0)
        }
        return keys.count
    }

    /// Stamps the new revision and prunes history when due; the last call before COMMIT.
    ///
    /// Pruning runs every fifth of `historyLimit` revisions rather than on every write, so the history
    /// holds between `historyLimit` and 1.2 × `historyLimit` revisions.
    func finish(historyLimit: Int64) throws {
        guard wrote else { return }
        try keyspace.setRevision(newRevision)
        let interval = max(1, historyLimit / 5)
        if newRevision % interval == 0, newRevision > historyLimit {
            try keyspace.compact(through: newRevision - historyLimit)
        }
    }

    private func record(_ key: String, _ value: [UInt8]?, createRevision: Int64, version: Int64) throws {
        try keyspace.record(revision: newRevision, sequence: writes, key: key, value: value,
                            createRevision: createRevision, version: version)
        writes += 1
    }
}
