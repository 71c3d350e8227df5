import KV

/// A watch on a `MemoryStore`: replays the store's history after the last revision delivered, and
/// waits for the store's next commit when it has caught up.
final class MemoryWatch: KeyValueWatch, @unchecked Sendable {
    private let store: MemoryStore
    private let prefix: String
    /// Read and written only with the store's lock held, so that `cancel` may come from any thread.
    private var lastRevision: Int64
    private var cancelled = false

    init(_ store: MemoryStore, prefix: String, afterRevision: Int64) throws {
        guard afterRevision >= 0 else { throw KVError.negativeWatchStart(afterRevision) }
        self.store = store
        self.prefix = prefix
        lastRevision = afterRevision
        try store.monitor.withLock { try store.keyspace.checkRetained(after: afterRevision) }
    }

    func next(timeout: Duration) throws -> [WatchEvent] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        return try store.monitor.withLock {
            while !cancelled {
                try store.keyspace.checkRetained(after: lastRevision)
                let events = store.keyspace.events(prefix: prefix, after: lastRevision)
                if let last = events.last {
                    lastRevision = last.revision
                    return events
                }
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else { break }
                store.monitor.wait(for: remaining)
            }
            return []
        }
    }

    func cancel() {
        store.monitor.withLock {
            cancelled = true
            store.monitor.broadcast()
        }
    }
}
