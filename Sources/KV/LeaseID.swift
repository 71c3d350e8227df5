/// A store lease: a time to live that keys can be attached to. When the lease expires (no
/// `KeyValueStore.keepAlive` within its TTL) or is revoked, every key attached to it is deleted, in
/// one revision, as in etcd.
public struct LeaseID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The lease's number in the store (etcd's lease ID); never 0, which means "no lease".
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public var description: String { String(rawValue) }
}

extension Duration {
    /// The whole seconds a lease lives for `self`, rounded up, at least 1: leases count seconds, as
    /// etcd does.
    public var leaseSeconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }
}
