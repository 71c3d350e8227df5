/// A key-value store with etcd v3 semantics: one store-wide revision that every write transaction
/// increments by one, per-key create/mod revisions and versions, compare-and-swap transactions, and
/// watches that replay every change after a given revision.
///
/// Leases (etcd's) give keys a time to live: `grantLease`, `keepAlive`, `revoke`, `timeToLive` and
/// `put(_:_:lease:)`, or `Operation.leasedPut` inside a transaction. A local backend expires leases
/// by the clock: an expired lease's keys are invisible to reads at once, and are deleted (in a
/// revision of their own, which watches see) by the next write to the store.
///
/// All calls are synchronous: plugins are short-lived processes, and network-namespace work must not
/// suspend. Everything that persists in swift-cni goes through this protocol, so nothing above it may
/// assume a local file.
public protocol KeyValueStore: AnyObject {
    /// The key, or `nil` if absent.
    func get(_ key: String) throws -> KeyValue?

    /// Every key that starts with `prefix`, in key order.
    func range(prefix: String) throws -> RangeResult

    /// Every key that starts with `prefix`, in key order, read at one revision and handed to `body`
    /// at most `limit` (positive) at a time, each page continuing after the last key of the one
    /// before (etcd's range `limit`); returns that revision. A caller that folds the keys into
    /// something of its own holds one page of them at a time, never all. `body` must not call the
    /// store; a backend may hold a read snapshot open while it runs.
    @discardableResult
    func range(prefix: String, limit: Int, _ body: ([KeyValue]) throws -> Void) throws -> Int64

    /// Creates or replaces `key`; returns the new store revision.
    @discardableResult
    func put(_ key: String, _ value: [UInt8]) throws -> Int64

    /// `put`, sent now and answered later: the caller works while the store commits, and learns the
    /// outcome from `wait` on what this returns (nothing is known to be written before). The store
    /// stays usable meanwhile. A backend that cannot send ahead writes at once.
    func sendPut(_ key: String, _ value: [UInt8]) throws -> PendingWrite

    /// Deletes `key`; returns how many keys were deleted (0 or 1).
    @discardableResult
    func delete(_ key: String) throws -> Int

    /// Deletes every key starting with `prefix`; returns how many were deleted.
    @discardableResult
    func delete(prefix: String) throws -> Int

    /// Evaluates the comparisons and runs one branch, atomically.
    func commit(_ transaction: Transaction) throws -> TransactionResult

    /// The current store revision (0 for an empty, never-written store).
    func revision() throws -> Int64

    /// Events for keys under `prefix` with a revision greater than `afterRevision`.
    /// Throws `KVError.compacted` if that history is no longer kept.
    func watch(prefix: String, afterRevision: Int64) throws -> any KeyValueWatch

    /// Runs `body` as one serializable read-modify-write: the reads it makes and the writes it buffers
    /// take effect together, as if no other writer ran in between. A backend either runs it natively
    /// (in one transaction of its own, through `TransactionScope.update`) or optimistically (through
    /// `OptimisticUpdate`: reads are verified by revision in the commit, and `body` runs again on
    /// conflict), so `body` must have no side effects besides the context, and must not call the store.
    func update<T>(_ body: (TransactionContext) throws -> T) throws -> T

    // MARK: Leases

    /// Grants a lease that lives `ttl` (in whole seconds, rounded up) unless kept alive. A backend
    /// may grant more than asked: etcd grants at least its minimum (2 s with default election
    /// settings); `timeToLive` tells. Granting writes no revision.
    func grantLease(ttl: Duration) throws -> LeaseID

    /// Starts the lease's TTL afresh; returns the TTL it now has, or `nil` if it has expired or was
    /// revoked (its keys are then gone or going).
    func keepAlive(_ lease: LeaseID) throws -> Duration?

    /// Ends the lease and deletes every key attached to it, in one revision (none if it held no
    /// key). Returns whether the lease was still there; revoking it again is not an error.
    @discardableResult
    func revoke(_ lease: LeaseID) throws -> Bool

    /// How long the lease has left (etcd counts whole seconds), or `nil` if it has expired or was
    /// revoked.
    func timeToLive(_ lease: LeaseID) throws -> Duration?

    /// Creates or replaces `key` attached to `lease`: the key is deleted when the lease ends. Returns
    /// the new store revision. Throws `KVError.leaseNotFound` if the lease has ended. A plain `put`
    /// of the key later detaches it, as in etcd.
    @discardableResult
    func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws -> Int64
}

/// The view `KeyValueStore.update` hands to its body: reads see the store plus the body's own writes.
///
/// A key the body wrote reads back with its new value; its revisions and version are only settled at
/// commit (a native backend reports the ones it will commit with, an optimistic one reports 0). A
/// write that fails (an empty key, say) is reported by the next read or when the update ends. The
/// context must not be used after the body returns.
public protocol TransactionContext: AnyObject {
    func get(_ key: String) throws -> KeyValue?
    func range(prefix: String) throws -> [KeyValue]
    func put(_ key: String, _ value: [UInt8])
    func delete(_ key: String)
}

/// A stream of changes, delivered in revision order.
public protocol KeyValueWatch: AnyObject {
    /// Waits until at least one event is available or `timeout` passes; returns `[]` on timeout.
    func next(timeout: Duration) throws -> [WatchEvent]
    /// Stops the watch and releases what it holds. Idempotent.
    func cancel()
}

/// One change to one key.
public enum WatchEvent: Sendable, Equatable {
    /// The key as written (its `modRevision` is the event's revision).
    case put(KeyValue)
    /// The key was deleted at `revision`.
    case delete(key: String, revision: Int64)

    public var revision: Int64 {
        switch self {
        case .put(let kv): kv.modRevision
        case .delete(_, let revision): revision
        }
    }

    public var key: String {
        switch self {
        case .put(let kv): kv.key
        case .delete(let key, _): key
        }
    }
}

extension KeyValueStore {
    @discardableResult
    public func put(_ key: String, _ value: String) throws -> Int64 { try put(key, Array(value.utf8)) }

    public func sendPut(_ key: String, _ value: [UInt8]) throws -> PendingWrite {
        let revision = try put(key, value)
        return PendingWrite { revision }
    }

    @discardableResult
    public func put(_ key: String, _ value: String, lease: LeaseID) throws -> Int64 {
        try put(key, Array(value.utf8), lease: lease)
    }
}

extension TransactionContext {
    public func put(_ key: String, _ value: String) { put(key, Array(value.utf8)) }
}
