/// Why a store operation failed.
public enum KVError: Error, Equatable, Sendable {
    /// The store exists but cannot be read as one: it is never silently recreated. `location` says
    /// where it is, as its backend names it (a file's path, say).
    case corrupt(location: String, detail: String)
    /// The store cannot be opened or written right now (permissions, disk, server down).
    case unavailable(String)
    /// Other writers kept winning; the operation may be retried later.
    case contention(String)
    /// A watch asked for history older than the store keeps.
    case compacted(requested: Int64, oldestAvailable: Int64)
    /// The caller passed something the store cannot accept (an empty key, say).
    case invalidArgument(String)
    /// The store turns away the client as configured (wrong credentials, no permission): nothing
    /// changes until the configuration does.
    case refused(String)
    /// A write named a lease that has expired or been revoked (or never existed): nothing was written.
    case leaseNotFound(LeaseID)
}

extension KVError {
    /// What every backend throws for an empty key, which no store accepts.
    public static let emptyKey = KVError.invalidArgument("a key must not be empty")

    /// What every backend throws for a watch asked to start after a negative revision.
    public static func negativeWatchStart(_ revision: Int64) -> KVError {
        .invalidArgument("a watch cannot start after a negative revision (\(revision))")
    }
}

extension KVError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .corrupt(location, detail):
            "the store at \(location) is corrupt or not a swift-cni store (\(detail)); move it aside to start afresh"
        case .unavailable(let detail):
            "the store is unavailable: \(detail)"
        case .contention(let detail):
            "the store is busy: \(detail)"
        case let .compacted(requested, oldest):
            "history after revision \(requested) is compacted; the oldest kept is \(oldest)"
        case .invalidArgument(let detail):
            detail
        case .refused(let detail):
            "the store refused the request: \(detail)"
        case .leaseNotFound(let lease):
            "lease \(lease) has expired or was revoked"
        }
    }
}
