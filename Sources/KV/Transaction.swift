/// An etcd v3 `Txn`: if every comparison holds, run `success`, otherwise `failure`, atomically.
/// As in etcd, a branch writes each key at most once (see `overlappingWrite`).
public struct Transaction: Sendable {
    public var compares: [Compare]
    public var success: [Operation]
    public var failure: [Operation]

    public init(compares: [Compare] = [], success: [Operation] = [], failure: [Operation] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }

    /// Why a branch cannot run, as etcd refuses it ("duplicate key given in txn request"): two of its
    /// writes reach one key (two puts or deletes of it, or one under a prefix the branch deletes).
    /// `nil` when every key is written at most once.
    public var overlappingWrite: String? {
        for branch in [success, failure] {
            var keys = Set<String>()
            var prefixes: [String] = []
            for operation in branch {
                switch operation {
                case .put(let key, _), .leasedPut(let key, _, _), .delete(let key):
                    guard keys.insert(key).inserted else { return "a transaction writes \"\(key)\" twice" }
                case .deletePrefix(let prefix): prefixes.append(prefix)
                case .get, .range: break
                }
            }
            for prefix in prefixes {
                if let key = keys.first(where: { $0.utf8.starts(with: prefix.utf8) }) {
                    return "a transaction writes \"\(key)\" and deletes the prefix \"\(prefix)\" it is under"
                }
            }
        }
        return nil
    }
}

/// A comparison against one key's current state. A missing key has all revisions 0, exactly as in
/// etcd, so `.createRevision(k, .equal, 0)` means "k does not exist"; as in etcd, no `.value` compare
/// holds for a missing key (an empty value and none are told apart).
public enum Compare: Sendable, Equatable {
    case value(String, CompareOperator, [UInt8])
    case createRevision(String, CompareOperator, Int64)
    case modRevision(String, CompareOperator, Int64)
    case version(String, CompareOperator, Int64)
    /// Holds when the mod revision of every key under the prefix satisfies the operator (so always when
    /// there is none): `.modRevisions(prefix: p, .less, r + 1)` means "nothing under `p` was created or
    /// changed after revision `r`". etcd expresses this as a mod-revision compare with a range end.
    case modRevisions(prefix: String, CompareOperator, Int64)

    /// Holds when `key` does not exist.
    public static func absent(_ key: String) -> Compare { .createRevision(key, .equal, 0) }

    /// The key compared, or the prefix for `modRevisions`.
    public var key: String {
        switch self {
        case .value(let k, _, _), .createRevision(let k, _, _), .modRevision(let k, _, _), .version(let k, _, _),
             .modRevisions(let k, _, _):
            k
        }
    }
}

public enum CompareOperator: Sendable, Equatable {
    case equal, notEqual, greater, less

    /// Applies the operator with the stored value on the left, as etcd does.
    public func holds<T: Comparable>(_ stored: T, _ target: T) -> Bool {
        switch self {
        case .equal: stored == target
        case .notEqual: stored != target
        case .greater: stored > target
        case .less: stored < target
        }
    }

    /// Applies the operator to byte strings in lexicographic order, as etcd compares values.
    func holds(_ stored: [UInt8], _ target: [UInt8]) -> Bool {
        switch self {
        case .equal: stored == target
        case .notEqual: stored != target
        case .greater: target.lexicographicallyPrecedes(stored)
        case .less: stored.lexicographicallyPrecedes(target)
        }
    }
}

/// One request inside a transaction.
public enum Operation: Sendable, Equatable {
    case put(String, [UInt8])
    /// A put attached to a lease (see `KeyValueStore.put(_:_:lease:)`); the whole transaction fails
    /// with `KVError.leaseNotFound` if the lease has ended.
    case leasedPut(String, [UInt8], lease: LeaseID)
    case delete(String)
    case deletePrefix(String)
    case get(String)
    case range(prefix: String)
}

/// What one operation of a committed transaction returned, in the order of the operations.
public enum OperationResult: Sendable, Equatable {
    case put
    /// Number of keys deleted.
    case delete(Int)
    /// Keys read (zero or one for `get`).
    case range([KeyValue])
}

public struct TransactionResult: Sendable, Equatable {
    /// Whether the comparisons held (so `success` ran rather than `failure`).
    public let succeeded: Bool
    /// The store revision after the transaction (unchanged if it wrote nothing).
    public let revision: Int64
    public let results: [OperationResult]

    public init(succeeded: Bool, revision: Int64, results: [OperationResult]) {
        self.succeeded = succeeded
        self.revision = revision
        self.results = results
    }
}
