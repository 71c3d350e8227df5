import KV

extension BlockAllocator {
    /// Gives blocks a release left empty back after the layout's grace period: each is attached to
    /// one new store lease of that TTL, if it is still exactly as the release left it. When the lease
    /// expires the store deletes the block's key, and any host may claim the block; a lease taken in
    /// it before then rewrites the key without a lease, so the block stays its owner's.
    ///
    /// Best effort, after the release has committed: should the store fail now, the block stays
    /// claimed, and its owner keeps leasing from it as before.
    func retire(_ emptied: [String: String]) {
        guard !emptied.isEmpty, let lease = try? store.grantLease(ttl: layout.gracePeriod) else { return }
        for (key, value) in emptied.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(value.utf8)
            _ = try? store.commit(Transaction(compares: [.value(key, .equal, bytes)],
                                              success: [.leasedPut(key, bytes, lease: lease)]))
        }
    }
}
