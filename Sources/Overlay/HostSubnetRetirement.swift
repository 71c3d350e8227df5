import KV

/// Giving a host subnet its host no longer uses back to the pool after a grace period, as kv-ipam
/// gives back its empty blocks: the record moves, marked `retiring`, from the agent's lease onto a
/// new lease of the grace period, if it is still exactly as read. When that lease expires the
/// store deletes the key, every peer removes its route, and any host may claim the subnet; an ADD
/// on the host before then claims it again (the record goes back onto the agent's lease, unmarked).
public enum HostSubnetRetirement {
    /// Retires `stored`, this host's record `record`; `false` if it changed meanwhile or is retiring already.
    @discardableResult
    public static func retire(_ stored: KeyValue, record: HostSubnetRecord, gracePeriod: Duration,
                              in store: any KeyValueStore) throws -> Bool {
        guard record.retiring != true else { return false }
        var retiring = record
        retiring.retiring = true
        let lease = try store.grantLease(ttl: gracePeriod)
        let moved = try store.commit(Transaction(compares: [.modRevision(stored.key, .equal, stored.modRevision)],
                                                 success: [.leasedPut(stored.key, try retiring.encoded(), lease: lease)]))
            .succeeded
        if !moved { _ = try? store.revoke(lease) }
        return moved
    }
}
