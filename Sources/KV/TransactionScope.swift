/// What a backend that runs transactions natively offers inside one atomic scope of its own (a
/// database transaction, a lock held over memory): single-key and prefix primitives whose reads see
/// the scope's earlier writes. Through them `run(_:)` carries out a `Transaction` and `update(_:)` an
/// update body, so that every such backend evaluates compares and applies operations alike.
///
/// The backend decides the revision the scope's writes belong to, and commits or rolls back the
/// scope as a whole when these return or throw.
public protocol TransactionScope: AnyObject {
    func get(_ key: String) throws -> KeyValue?
    /// Every key under `prefix`, in key order.
    func range(prefix: String) throws -> [KeyValue]
    /// The mod revision of every key under `prefix`, in any order (for `Compare.modRevisions`).
    func modRevisions(prefix: String) throws -> [Int64]
    func put(_ key: String, _ value: [UInt8]) throws
    /// Returns how many keys were deleted (0 or 1).
    func delete(_ key: String) throws -> Int
    /// Returns how many keys were deleted.
    func delete(prefix: String) throws -> Int
    /// Writes `key` attached to `lease`; throws `KVError.leaseNotFound` if the lease has ended.
    func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws
    /// Deletes the lease's keys and ends it; returns whether it was there.
    func revoke(_ lease: LeaseID) throws -> Bool
}

extension TransactionScope {
    public func modRevisions(prefix: String) throws -> [Int64] {
        try range(prefix: prefix).map(\.modRevision)
    }

    /// Evaluates the comparisons and runs the branch they select, operations in order, so that a
    /// read sees the writes before it.
    public func run(_ transaction: Transaction) throws -> (succeeded: Bool, results: [OperationResult]) {
        let succeeded = try transaction.compares.allSatisfy(holds)
        return (succeeded, try (succeeded ? transaction.success : transaction.failure).map(apply))
    }

    /// Runs an update body against this scope (see `KeyValueStore.update`): a write that fails is
    /// rethrown by the body's next read or when it returns, so that the backend rolls back.
    public func update<T>(_ body: (TransactionContext) throws -> T) throws -> T {
        let context = ScopedTransactionContext(self)
        defer { context.close() }
        let value = try body(context)
        try context.throwFailedWrite()
        return value
    }

    /// Evaluates a comparison against the current state; a missing key has revisions 0 and fails
    /// every value compare.
    func holds(_ compare: Compare) throws -> Bool {
        switch compare {
        case let .value(key, op, target): try get(key).map { op.holds($0.value, target) } ?? false
        case let .createRevision(key, op, target): op.holds(try get(key)?.createRevision ?? 0, target)
        case let .modRevision(key, op, target): op.holds(try get(key)?.modRevision ?? 0, target)
        case let .version(key, op, target): op.holds(try get(key)?.version ?? 0, target)
        case let .modRevisions(prefix, op, target):
            try modRevisions(prefix: prefix).allSatisfy { op.holds($0, target) }
        }
    }

    func apply(_ operation: Operation) throws -> OperationResult {
        switch operation {
        case let .put(key, value):
            try put(key, value)
            return .put
        case let .leasedPut(key, value, lease):
            try put(key, value, lease: lease)
            return .put
        case .delete(let key): return .delete(try delete(key))
        case .deletePrefix(let prefix): return .delete(try delete(prefix: prefix))
        case .get(let key): return .range(try get(key).map { [$0] } ?? [])
        case .range(let prefix): return .range(try range(prefix: prefix))
        }
    }
}
