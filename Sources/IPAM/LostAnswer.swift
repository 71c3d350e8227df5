import KV

/// What a commit whose answer was lost turned out to have done.
enum LostAnswer: Equatable {
    /// It applied: the owner key holds exactly the leases it wrote.
    case applied
    /// Another ADD of the same attachment holds a lease: the caller's usual path for that follows.
    case heldElsewhere
    /// It did not apply and now never can: an empty owner key, written at this revision, stands in
    /// the way of its compare. The next attempt replaces it (see `BlockAllocator.unheld`).
    case fenced(Int64)
}

extension BlockAllocator {
    /// Settles a commit that may or may not have applied (a timeout after sending, a server that
    /// died before answering) by reading back, never by leasing again: leasing again could hand out
    /// a second address while the first commit is still on its way to being applied.
    ///
    /// One transaction both reads and fences: if the owner key is as the lost commit required it
    /// (absent, or this ADD's fence), an empty owner key is written, so the lost commit, should it
    /// still arrive, fails its compare; otherwise the owner key shows what happened. A fence left
    /// behind by an ADD that then fails holds no address, and its DEL, or GC, removes it.
    func settle(_ ownerKey: String, leases: [Lease], fence: Int64?) throws -> LostAnswer {
        let result = try store.commit(Transaction(compares: [Self.unheld(ownerKey, fence: fence)],
                                                  success: [.put(ownerKey, [])], failure: [.get(ownerKey)]))
        if result.succeeded { return .fenced(result.revision) }
        guard case .range(let owner)? = result.results.first, let held = owner.first else { return .heldElsewhere }
        return LeaseKeys.addresses(fromOwnerValue: held.string) == leases.map(\.address) ? .applied : .heldElsewhere
    }

    /// The compare that an ADD's commit makes on the attachment's owner key: absent, or still the
    /// fence this ADD wrote.
    static func unheld(_ ownerKey: String, fence: Int64?) -> Compare {
        fence.map { .modRevision(ownerKey, .equal, $0) } ?? .absent(ownerKey)
    }
}
