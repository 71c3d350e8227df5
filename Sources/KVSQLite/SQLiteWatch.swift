import KV

/// A watch on an SQLite store: replays the history table after the last revision delivered, and waits
/// for a `CommitSignal` when it has caught up.
///
/// It reads through its own connection, so it may be used on a different thread than its store.
final class SQLiteWatch: KeyValueWatch {
    private let prefix: String
    private var lastRevision: Int64
    private var connection: SQLiteConnection?
    private var signal: CommitSignal?

    init(path: String, prefix: String, afterRevision: Int64) throws {
        guard afterRevision >= 0 else {
            throw KVError.negativeWatchStart(afterRevision)
        }
        self.prefix = prefix
        lastRevision = afterRevision
        // Listening starts before the first read, so no commit can fall between a read and a wait.
        signal = try CommitSignal(watching: path)
        let connection = try SQLiteStoreFile.open(path)
        self.connection = connection
        try checkRetained(SQLiteKeyspace(connection: connection))
    }

    func next(timeout: Duration) throws -> [WatchEvent] {
        guard let connection, let signal else { return [] }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let events = try pendingEvents(connection)
            if let last = events.last {
                lastRevision = last.revision
                return events
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return [] }
            try signal.wait(for: remaining)
        }
    }

    func cancel() {
        signal?.close()
        signal = nil
        connection = nil
    }

    private func pendingEvents(_ connection: SQLiteConnection) throws -> [WatchEvent] {
        let keyspace = SQLiteKeyspace(connection: connection)
        return try connection.transaction(.deferred) {
            try checkRetained(keyspace)
            return try keyspace.events(prefix: prefix, after: lastRevision)
        }
    }

    private func checkRetained(_ keyspace: SQLiteKeyspace) throws {
        let compacted = try keyspace.state().compacted
        guard lastRevision >= compacted else {
            throw KVError.compacted(requested: lastRevision, oldestAvailable: compacted + 1)
        }
    }
}
