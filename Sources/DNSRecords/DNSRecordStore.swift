import Identity
import JSON
import KV

/// Reads and writes DNS records in a store. Each call is one read or one transaction, so the
/// revision a write returns is the one a responder must have loaded to answer for it.
public struct DNSRecordStore {
    /// Every record key starts with this, for `watch(prefix:afterRevision:)`.
    public static let prefix = DNSRecordKeys.root

    let store: any KeyValueStore

    public init(store: any KeyValueStore) {
        self.store = store
    }

    /// Every network's records, by network, then by attachment in key order, with the revision the
    /// read saw. A value that does not decode is skipped: it names no address anyone could use.
    public func all() throws -> (records: [DNSRecord], revision: Int64) {
        var records: [DNSRecord] = []
        let revision = try all(pageSize: Self.pageSize) { records.append($0) }
        return (records, revision)
    }

    /// `all()`, handing each record to `body` as it is decoded, from pages of at most `pageSize`
    /// keys read at one revision (returned): a caller that builds something of its own from them
    /// never holds every record, raw or decoded. `body` must not call the store.
    @discardableResult
    public func all(pageSize: Int = pageSize, _ body: (DNSRecord) throws -> Void) throws -> Int64 {
        try store.range(prefix: DNSRecordKeys.root, limit: pageSize) { page in
            for kv in page {
                if let record = Self.record(kv) { try body(record) }
            }
        }
    }

    /// Keys per page of `all`: a few hundred records (tens of kilobytes), and for 10,000 of them a
    /// few dozen reads.
    public static let pageSize = 256

    /// The records of `network`, by attachment in key order.
    public func records(on network: NetworkName) throws -> [DNSRecord] {
        try store.range(prefix: DNSRecordKeys.network(network)).kvs.compactMap(Self.record)
    }

    /// The record `attachment` registered on `network`, or `nil`.
    public func record(of attachment: Attachment, on network: NetworkName) throws -> DNSRecord? {
        try record(of: AttachmentID(network: network, attachment: attachment))
    }

    /// The record `owner` registered, or `nil`.
    public func record(of owner: AttachmentID) throws -> DNSRecord? {
        try store.get(DNSRecordKeys.record(owner)).flatMap(Self.record)
    }

    /// Creates or replaces the attachment's record; returns the store revision that holds it.
    @discardableResult
    public func put(_ record: DNSRecord) throws -> Int64 {
        try store.put(DNSRecordKeys.record(record.owner), JSONCodec.encode(DNSRecordValue(record)))
    }

    /// Deletes the attachment's record if there is one; returns whether there was, and the store
    /// revision after the delete (unchanged when there was nothing to delete).
    @discardableResult
    public func remove(_ attachment: Attachment, on network: NetworkName) throws -> (removed: Bool, revision: Int64) {
        try remove(AttachmentID(network: network, attachment: attachment))
    }

    /// Deletes `owner`'s record, as `remove(_:on:)` does.
    @discardableResult
    public func remove(_ owner: AttachmentID) throws -> (removed: Bool, revision: Int64) {
        let result = try store.commit(Transaction(success: [.delete(DNSRecordKeys.record(owner))]))
        guard case .delete(let count) = result.results.first else { return (false, result.revision) }
        return (count > 0, result.revision)
    }

    /// Deletes, in one transaction, every record on `network` whose attachment is not in `valid`
    /// (CNI GC); returns how many went and the store revision after.
    @discardableResult
    public func removeAll(on network: NetworkName, except valid: Set<Attachment>) throws -> (removed: Int, revision: Int64) {
        let removed = try store.update { context in
            let stale = try context.range(prefix: DNSRecordKeys.network(network)).filter { kv in
                DNSRecordKeys.owner(fromKey: kv.key).map { $0.network == network && !valid.contains($0.attachment) } ?? false
            }
            for kv in stale { context.delete(kv.key) }
            return stale.count
        }
        return (removed, try store.revision())
    }

    /// The attachment a record key names (a watch's `delete`), or `nil` for another key.
    public static func owner(ofKey key: String) -> AttachmentID? { DNSRecordKeys.owner(fromKey: key) }

    /// The record a key-value pair of the store holds (a range's or a watch's `put`), or `nil` for
    /// another key or a value that does not decode.
    public static func record(_ kv: KeyValue) -> DNSRecord? {
        guard let owner = DNSRecordKeys.owner(fromKey: kv.key),
              let value = try? JSONCodec.decode(DNSRecordValue.self, from: kv.value) else { return nil }
        return DNSRecord(owner: owner, domain: value.domain,
                         names: value.names, addresses: value.addresses, gateways: value.gateways,
                         upstreams: value.upstreams)
    }
}
