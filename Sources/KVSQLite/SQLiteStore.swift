import Glibc
import KV

/// The embedded backend: one SQLite database file in WAL mode, shared by every process on the host.
///
/// Writers take SQLite's write lock up front (`BEGIN IMMEDIATE`) and wait up to ten seconds for each
/// other, so concurrent plugin processes serialise on the file itself; readers never wait. `update`
/// runs natively as one immediate transaction.
///
/// The file is created (with its parent directories) when missing, but an existing file that is not a
/// swift-cni store is refused with `KVError.corrupt` and never touched. A store is used by one thread at
/// a time; threads and processes that share a file each open their own `SQLiteStore`.
public final class SQLiteStore: ScopedKeyValueStore {
    /// How many revisions of history watches can replay, unless a store is opened with another limit.
    public static let defaultHistoryLimit: Int64 = 5_000

    /// The longest `path` a store can be opened at, in bytes (481).
    public static let maximumPathLength = SQLiteStoreFile.maximumPathLength

    /// The database file.
    public let path: String
    /// Revisions of history kept for watches; older ones are pruned as new revisions are written.
    public let historyLimit: Int64

    private let connection: SQLiteConnection
    private var keyspace: SQLiteKeyspace { SQLiteKeyspace(connection: connection) }

    /// Opens the store at `path`, creating it if no file is there.
    ///
    /// - Throws: `KVError.corrupt` if the file is not a swift-cni store, `KVError.unavailable` if it
    ///   cannot be created, opened or written.
    public init(path: String, historyLimit: Int64 = SQLiteStore.defaultHistoryLimit) throws {
        guard historyLimit > 0 else {
            throw KVError.invalidArgument("historyLimit must be positive, not \(historyLimit)")
        }
        self.path = path
        self.historyLimit = historyLimit
        connection = try SQLiteStoreFile.open(path)
    }

    /// Opens the store at `path` if a file is there, and creates nothing otherwise: for readers, to
    /// whom a store never written holds nothing.
    ///
    /// - Throws: as `init(path:historyLimit:)` for a file that is there.
    public static func openExisting(path: String, historyLimit: Int64 = defaultHistoryLimit) throws -> SQLiteStore? {
        guard access(path, F_OK) == 0 || errno != ENOENT else { return nil }
        return try SQLiteStore(path: path, historyLimit: historyLimit)
    }

    public func get(_ key: String) throws -> KeyValue? {
        try keyspace.get(key)
    }

    public func range(prefix: String) throws -> RangeResult {
        try connection.transaction(.deferred) {
            try RangeResult(kvs: keyspace.range(prefix: prefix), revision: keyspace.state().revision)
        }
    }

    /// One read transaction, so every page sees the same snapshot; writers do not wait for it (WAL).
    public func range(prefix: String, limit: Int, _ body: ([KeyValue]) throws -> Void) throws -> Int64 {
        guard limit > 0 else { throw KVError.invalidArgument("a range page limit must be positive, not \(limit)") }
        return try connection.transaction(.deferred) {
            let keyspace = self.keyspace
            let revision = try keyspace.state().revision
            var after: String?
            while true {
                let page = try keyspace.range(prefix: prefix, after: after, limit: limit)
                if !page.isEmpty { try body(page) }
                guard page.count == limit else { return revision }
                after = page.last!.key
            }
        }
    }

    public func revision() throws -> Int64 {
        try keyspace.state().revision
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> any KeyValueWatch {
        try SQLiteWatch(path: path, prefix: prefix, afterRevision: afterRevision)
    }

    /// Runs `body` in one immediate transaction: writers wait for each other's, readers never do.
    /// Leases that have expired end first, in a revision of their own.
    public func writing<T>(_ body: (any TransactionScope) throws -> T) throws -> (value: T, revision: Int64) {
        let (value, scope, expired) = try connection.transaction(.immediate) {
            let keyspace = self.keyspace
            let expired = try expireLeases(keyspace)
            let scope = try SQLiteWriteScope(keyspace)
            let value = try body(scope)
            try scope.finish(historyLimit: historyLimit)
            return (value, scope, expired)
        }
        if scope.wrote || expired {
            CommitSignal.post(path: path)
        }
        return (value, scope.revision)
    }

    public func grantLease(ttl: Duration) throws -> LeaseID {
        try connection.transaction(.immediate) {
            let keyspace = self.keyspace
            while true {
                // Random rather than counted, so an ID is never handed out again after its lease ended.
                let lease = Int64.random(in: 1 ... .max)
                if try keyspace.grant(lease, ttl: ttl.leaseSeconds) { return LeaseID(rawValue: lease) }
            }
        }
    }

    public func keepAlive(_ lease: LeaseID) throws -> Duration? {
        try connection.transaction(.immediate) { try keyspace.keepAlive(lease.rawValue).map { .seconds($0) } }
    }

    public func timeToLive(_ lease: LeaseID) throws -> Duration? {
        let keyspace = self.keyspace
        return try keyspace.expiry(of: lease.rawValue).map { .milliseconds($0 - keyspace.now) }
    }

    /// Ends the leases that have expired, deleting their keys; returns whether any key went.
    private func expireLeases(_ keyspace: SQLiteKeyspace) throws -> Bool {
        let expired = try keyspace.expiredLeases()
        guard !expired.isEmpty else { return false }
        let scope = try SQLiteWriteScope(keyspace)
        for lease in expired { _ = try scope.revoke(LeaseID(rawValue: lease)) }
        try scope.finish(historyLimit: historyLimit)
        return scope.wrote
    }
}
