import Glibc

/// `KeyValueStore.update` for backends without serializable transactions of their own (etcd): the
/// body runs against the live store with its writes held back, and they are committed in one
/// `Transaction` only if nothing the body read has changed since; otherwise the body runs again.
///
/// What is verified at commit (see `ReadTrackingContext`):
/// - every key read with `get`, or returned by a `range`, still has the mod revision it was read at
///   (0 for a key read as absent, so it must still be absent): this catches changes and deletions;
/// - for every `range(prefix:)` read at store revision *r*, no key under the prefix has a mod revision
///   above *r* (`Compare.modRevisions`): this catches keys created under the prefix since.
///
/// So the body's reads were still true when its writes landed: the update is serializable. A backend
/// adopts it with `func update<T>(_ body: ...) throws -> T { try OptimisticUpdate.run(on: self, body) }`.
public enum OptimisticUpdate {
    /// How many times `run` tries the body before giving up with `KVError.contention`.
    public static let defaultAttempts = 10

    /// Runs `body` until its reads are still valid at commit, up to `attempts` times, backing off for a
    /// random, growing time between attempts so that contenders spread out.
    ///
    /// An error thrown by `body` or by the store ends the update at once, with nothing written.
    public static func run<Store: KeyValueStore, T>(
        on store: Store, attempts: Int = defaultAttempts, _ body: (TransactionContext) throws -> T
    ) throws -> T {
        precondition(attempts > 0, "an optimistic update needs at least one attempt")
        for attempt in 1...attempts {
            let context = ReadTrackingContext(store)
            let value = try body(context)
            guard let transaction = context.transaction else { return value }
            if try store.commit(transaction).succeeded {
                return value
            }
            if attempt < attempts {
                backOff(after: attempt)
            }
        }
        throw KVError.contention("\(attempts) attempts at an update in a row were overtaken by other writers")
    }

    /// Full jitter over a ceiling that doubles from 2 ms up to 100 ms.
    private static func backOff(after attempt: Int) {
        let ceiling = min(100_000, 1_000 << min(attempt, 7))
        usleep(UInt32.random(in: 0...UInt32(ceiling)))
    }
}
