/// A backend that runs each write natively in one `TransactionScope` of its own, and gets every write
/// of the protocol from `writing`: both `put`s, both `delete`s, `revoke`, `commit` and `update`.
public protocol ScopedKeyValueStore: KeyValueStore {
    /// Runs `body` in one new atomic scope, committed if `body` returns and rolled back if it throws,
    /// with no other writer in between; returns its value and the store revision afterwards.
    func writing<T>(_ body: (any TransactionScope) throws -> T) throws -> (value: T, revision: Int64)
}

extension ScopedKeyValueStore {
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) throws -> Int64 {
        try writing { try $0.put(key, value) }.revision
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws -> Int64 {
        try writing { try $0.put(key, value, lease: lease) }.revision
    }

    @discardableResult
    public func revoke(_ lease: LeaseID) throws -> Bool {
        try writing { try $0.revoke(lease) }.value
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
        if let problem = transaction.overlappingWrite { throw KVError.invalidArgument(problem) }
        let (outcome, revision) = try writing { try $0.run(transaction) }
        return TransactionResult(succeeded: outcome.succeeded, revision: revision, results: outcome.results)
    }

    /// Runs `body` in one scope: no other writer runs until it returns, its reads see its own writes
    /// (with the revisions they will commit with), and all of its writes share one new revision. If
    /// `body` throws, nothing is written and the error is rethrown.
    public func update<T>(_ body: (TransactionContext) throws -> T) throws -> T {
        try writing { try $0.update(body) }.value
    }
}
