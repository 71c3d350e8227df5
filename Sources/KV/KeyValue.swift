/// One stored key with etcd v3 metadata.
public struct KeyValue: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]
    /// Revision of the write that created the key (0 never appears for a stored key).
    public let createRevision: Int64
    /// Revision of the last write to the key.
    public let modRevision: Int64
    /// Number of writes since creation (1 after the first put).
    public let version: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
    }

    /// The value decoded as UTF-8.
    public var string: String { String(decoding: value, as: UTF8.self) }
}

/// Keys under a prefix, read at one revision.
public struct RangeResult: Sendable, Equatable {
    /// Matching keys in ascending key order.
    public let kvs: [KeyValue]
    /// The store revision the read saw.
    public let revision: Int64

    public init(kvs: [KeyValue], revision: Int64) {
        self.kvs = kvs
        self.revision = revision
    }
}
