import Addressing
import Identity
import KV

/// The addresses one attachment holds on one network, as IPAM keeps them.
public struct LeaseRecord: Sendable, Equatable {
    public let attachment: AttachmentID
    /// One address per range set of the network, in the order of the range sets.
    public let addresses: [IPAddress]

    public init(attachment: AttachmentID, addresses: [IPAddress]) {
        self.attachment = attachment
        self.addresses = addresses
    }

    public var network: NetworkName { attachment.network }
}

/// Reads the leases IPAM wrote to a store, by network or by attachment, for anything that shows or
/// serves them (DNS, operators' queries, tests) without knowing how they are keyed. Each call is one
/// read of the store.
public struct LeaseRecords {
    let store: any KeyValueStore

    public init(store: any KeyValueStore) {
        self.store = store
    }

    /// The leases of every network, by network, then by attachment in the store's key order.
    public func all() throws -> [LeaseRecord] {
        try store.range(prefix: LeaseKeys.root).kvs.compactMap { kv in
            LeaseKeys.owner(fromKey: kv.key).map { Self.record($0, kv) }
        }
    }

    /// The leases of `network`, by attachment in the store's key order.
    public func leases(on network: NetworkName) throws -> [LeaseRecord] {
        let keys = LeaseKeys(network: network)
        return try store.range(prefix: keys.owners).kvs.compactMap { kv in
            keys.attachment(fromOwnerKey: kv.key).map { Self.record(AttachmentID(network: network, attachment: $0), kv) }
        }
    }

    /// The lease `attachment` holds on `network`, or `nil` if it holds none.
    public func lease(of attachment: Attachment, on network: NetworkName) throws -> LeaseRecord? {
        try store.get(LeaseKeys(network: network).owner(attachment)).map {
            Self.record(AttachmentID(network: network, attachment: attachment), $0)
        }
    }

    private static func record(_ attachment: AttachmentID, _ owner: KeyValue) -> LeaseRecord {
        LeaseRecord(attachment: attachment, addresses: LeaseKeys.addresses(fromOwnerValue: owner.string))
    }
}
