/// The embedded backend: one SQLite database file in WAL mode, shared by every process on the host.
///
/// Writers take SQLite's write lock up front (`BEGIN IMMEDIATE`) and wait up to ten seconds for each
/// other, so concurrent plugin processes serialise on the file itself; readers never wait. `update`
/// runs natively as one immediate transaction.
///
/// The file is created (with its parent directories) when missing, but an existing file that is not a
/// swift-cni store is refused with `KVError.corrupt` and never touched. A store is used by one thread at
/// a time; threads and processes that share a file each open their own `SQLiteStore`.
public final class SQLiteStore: KeyValueStore {
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

    public func get(_ key: String) throws -> KeyValue? {
        try keyspace.get(key)
    }

    public func range(prefix: String) throws -> RangeResult {
        try connection.transaction(.deferred) {
            try RangeResult(kvs: keyspace.range(prefix: prefix), revision: keyspace.state().revision)
        }
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) throws -> Int64 {
        try writing { try $0.put(key, value) }.revision
    }

    @discardableResult
    public func delete(_ key: String) throws -> Int {
        try writing { try $0.delete(key) }.value
    }

    @discardableResult
    public func delete(prefix: String) throws -> Int {
        try writing { try $0.delete(prefix: prefix) }.value
    }

    /// Runs the transaction's operations in order, so a read sees the writes before it.
    public func commit(_ transaction: Transaction) throws -> TransactionResult {
        let (outcome, revision) = try writing { scope in
            let succeeded = try transaction.compares.allSatisfy(scope.holds)
            let results = try (succeeded ? transaction.success : transaction.failure).map(scope.apply)
            return (succeeded: succeeded, results: results)
        }
        return TransactionResult(succeeded: outcome.succeeded, revision: revision, results: outcome.results)
    }

    public func revision() throws -> Int64 {
        try keyspace.state().revision
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> any KeyValueWatch {
        try SQLiteWatch(path: path, prefix: prefix, afterRevision: afterRevision)
    }

    /// Runs `body` inside one immediate transaction: no other writer runs until it returns, its reads
    /// see its own writes (with the revisions they will commit with), and all of its writes share one
    /// new revision. If `body` throws, nothing is written and the error is rethrown.
    public func update<T>(_ body: (TransactionContext) throws -> T) throws -> T {
        try writing { scope in
            let context = SQLiteTransactionContext(scope)
            defer { context.close() }
            let value = try body(context)
            try context.throwFailedWrite()
            return value
        }.value
    }

    /// Runs `body` in an immediate transaction; returns its value and the store revision afterwards.
    private func writing<T>(_ body: (SQLiteWriteScope) throws -> T) throws -> (value: T, revision: Int64) {
        let (value, scope) = try connection.transaction(.immediate) {
            let scope = try SQLiteWriteScope(keyspace)
            let value = try body(scope)
            try scope.finish(historyLimit: historyLimit)
            return (value, scope)
        }
        if scope.wrote {
            CommitSignal.post(path: path)
        }
        return (value, scope.revision)
    }
}
