/// The context of an `update` a backend runs natively: reads and writes go straight into its open
/// `TransactionScope`, so the body reads its own writes with the revisions they will commit with.
///
/// `put` and `delete` cannot throw, so the first failed write is kept and rethrown by every later read
/// and when the body returns; the backend then rolls the scope back.
final class ScopedTransactionContext: TransactionContext {
    private var scope: (any TransactionScope)?
    private var failure: (any Error)?

    init(_ scope: any TransactionScope) {
        self.scope = scope
    }

    func get(_ key: String) throws -> KeyValue? {
        try openScope().get(key)
    }

    func range(prefix: String) throws -> [KeyValue] {
        try openScope().range(prefix: prefix)
    }

    func put(_ key: String, _ value: [UInt8]) {
        write { try $0.put(key, value) }
    }

    func delete(_ key: String) {
        write { _ = try $0.delete(key) }
    }

    /// Throws the first failed write, if any.
    func throwFailedWrite() throws {
        if let failure { throw failure }
    }

    /// Ends the context's use: the body must not keep it beyond the transaction.
    func close() {
        scope = nil
    }

    private func write(_ change: (any TransactionScope) throws -> Void) {
        guard failure == nil else { return }
        do {
            try change(openScope())
        } catch {
            failure = error
        }
    }

    private func openScope() throws -> any TransactionScope {
        if let failure { throw failure }
        guard let scope else {
            preconditionFailure("a TransactionContext was used after its update returned")
        }
        return scope
    }
}
