/// Why a store operation failed.
public enum KVError: Error, Equatable, Sendable {
    /// The store exists but cannot be read as one: it is never silently recreated.
    case corrupt(path: String, detail: String)
    /// The store cannot be opened or written right now (permissions, disk, server down).
    case unavailable(String)
    /// Other writers kept winning; the operation may be retried later.
    case contention(String)
    /// A watch asked for history older than the store keeps.
    case compacted(requested: Int64, oldestAvailable: Int64)
    /// The caller passed something the store cannot accept (an empty key, say).
    case invalidArgument(String)
}

extension KVError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .corrupt(path, detail):
            "the store at \(path) is corrupt or not a swift-cni store (\(detail)); move it aside to start afresh"
        case .unavailable(let detail):
            "the store is unavailable: \(detail)"
        case .contention(let detail):
            "the store is busy: \(detail)"
        case let .compacted(requested, oldest):
            "history after revision \(requested) is compacted; the oldest kept is \(oldest)"
        case .invalidArgument(let detail):
            detail
        }
    }
}
