import Addressing
import Identity
import KV

/// An address leased to an attachment, with the range it came from (which supplies its prefix
/// length and gateway).
public struct Lease: Sendable, Equatable {
    public let address: IPAddress
    public let range: IPRange

    public var interfaceAddress: InterfaceAddress {
        InterfaceAddress(address: address, prefixLength: range.subnet.prefixLength)
    }
}

/// Leases for one network, kept in a `KeyValueStore`. Every change to a lease is one store
/// transaction, so concurrent processes never hand out an address twice and a crash leaves either
/// all of a lease or none of it.
///
/// With a `BlockAllocator` (for a store that many hosts share), new leases come from blocks this
/// host claims; without one, from the whole range, round robin.
public struct LeaseManager {
    let store: any KeyValueStore
    let keys: LeaseKeys
    let blocks: BlockAllocator?

    /// How many attachments one transaction of `releaseAll` releases: etcd takes at most 128
    /// comparisons and 128 writes per transaction by default, and each attachment reads and
    /// writes its owner key, its addresses and their blocks.
    static let releaseBatch = 20

    public init(store: any KeyValueStore, network: NetworkName, blocks: BlockAllocator? = nil) {
        self.store = store
        keys = LeaseKeys(network: network)
        self.blocks = blocks
    }

    /// Leases one address from each range set to `attachment`, taking the `requested` addresses
    /// where they fall. If the attachment already holds fitting leases (an ADD repeated after a
    /// crash), those are returned instead of new ones.
    public func acquire(for attachment: Attachment, from rangeSets: [RangeSet],
                        requested: [IPAddress] = []) throws -> [Lease] {
        guard let blocks else { return try acquireFromRange(for: attachment, from: rangeSets, requested: requested) }
        // The blocks' transaction requires the attachment to hold nothing; when it holds a lease,
        // that lease is kept if it fits or released first.
        for _ in 1...2 {
            if let leases = try blocks.acquire(for: attachment, from: rangeSets, requested: requested) { return leases }
            let kept: [Lease]? = try store.update { tx in
                guard let held = try tx.get(keys.owner(attachment)) else { return nil }
                let addresses = LeaseKeys.addresses(fromOwnerValue: held.string)
                if let leases = Self.fit(addresses, to: rangeSets, requested: requested) { return leases }
                try release(addresses, of: attachment, in: tx)
                return nil
            }
            if let kept { return kept }
        }
        throw KVError.contention("another ADD of \(attachment.containerID)/\(attachment.interface) keeps taking a lease")
    }

    private func acquireFromRange(for attachment: Attachment, from rangeSets: [RangeSet],
                                  requested: [IPAddress]) throws -> [Lease] {
        try store.update { tx in
            let ownerKey = keys.owner(attachment)
            if let held = try tx.get(ownerKey) {
                let addresses = LeaseKeys.addresses(fromOwnerValue: held.string)
                if let leases = Self.fit(addresses, to: rangeSets, requested: requested) { return leases }
                try release(addresses, of: attachment, in: tx)
            }
            var unplaced = requested
            var leases: [Lease] = []
            for (index, set) in rangeSets.enumerated() {
                let lease: Lease
                if let wanted = unplaced.firstIndex(where: { set.range(containing: $0) != nil }) {
                    lease = try claim(unplaced.remove(at: wanted), in: set, for: attachment, tx: tx)
                } else {
                    lease = try claimNext(in: set, index: index, for: attachment, tx: tx)
                }
                tx.put(keys.address(lease.address), keys.addressValue(attachment))
                tx.put(keys.lastReserved(rangeSet: index), lease.address.description)
                leases.append(lease)
            }
            if let stray = unplaced.first {
                throw IPAMError.invalidRequest(
                    "requested address \(stray) is outside every range of this network "
                        + "(\(rangeSets.map(\.description).joined(separator: "; ")))")
            }
            tx.put(ownerKey, LeaseKeys.ownerValue(holding: leases.map(\.address)))
            return leases
        }
    }

    /// Gives `holder` back the lease of `addresses` that the store has lost, when the host shows
    /// that it still holds them (a store removed or rolled back under live attachments). An address
    /// the store now names `displacing` for (the attachment whose ADD found it held) is taken from
    /// it, with the rest of its lease, so that its ADD leases anew. An address held by anyone else
    /// in the store, and a holder the store still has a lease for, are left alone.
    /// Returns whether anything was restored.
    @discardableResult
    public func restore(_ holder: Attachment, holding addresses: [IPAddress], displacing: Attachment) throws -> Bool {
        try store.update { tx in
            guard try tx.get(keys.owner(holder)) == nil else { return false }
            var restored: [IPAddress] = []
            for address in addresses {
                switch try tx.get(keys.address(address)).map({ keys.attachment(fromAddressValue: $0.string) }) {
                case nil:
                    break
                case displacing?:
                    if let held = try tx.get(keys.owner(displacing)) {
                        try release(LeaseKeys.addresses(fromOwnerValue: held.string), of: displacing, in: tx)
                    }
                default:
                    continue
                }
                tx.put(keys.address(address), keys.addressValue(holder))
                restored.append(address)
            }
            guard !restored.isEmpty else { return false }
            try blocks?.mark(restored, used: true, in: tx)
            tx.put(keys.owner(holder), LeaseKeys.ownerValue(holding: restored))
            return true
        }
    }

    /// Releases every address `attachment` holds. Releasing nothing is not an error.
    /// Returns the addresses released.
    @discardableResult
    public func release(_ attachment: Attachment) throws -> [IPAddress] {
        let (addresses, emptied) = try store.update { tx -> ([IPAddress], [String: String]) in
            guard let held = try tx.get(keys.owner(attachment)) else { return ([], [:]) }
            let addresses = LeaseKeys.addresses(fromOwnerValue: held.string)
            return (addresses, try release(addresses, of: attachment, in: tx))
        }
        blocks?.retire(emptied)
        return addresses
    }

    /// The addresses `attachment` holds (empty if none).
    public func addresses(of attachment: Attachment) throws -> [IPAddress] {
        try LeaseRecords(store: store).lease(of: attachment, on: keys.network)?.addresses ?? []
    }

    /// Releases the leases of every attachment not in `valid`, and removes the keys that no lease
    /// explains: an owner key that does not parse, and an address key whose key or holder does not
    /// parse, or whose holder is not in `valid` and holds no lease of it (what a damaged owner key
    /// leaves, which no DEL finds). An address held by a valid attachment stays, owner key or not:
    /// that attachment may be using it.
    ///
    /// The work goes in transactions of `releaseBatch` attachments or keys, each checking again what
    /// it changes, so that a network of any size stays within a store's limit on one transaction.
    /// Returns the attachments whose leases were released.
    @discardableResult
    public func releaseAll(except valid: Set<Attachment>) throws -> [Attachment] {
        var released: [Attachment] = []
        let owners = try store.range(prefix: keys.owners).kvs
        let damaged = owners.filter { keys.attachment(fromOwnerKey: $0.key) == nil }.map(\.key)
        for batch in damaged.chunks(of: Self.releaseBatch) {
            try store.update { tx in batch.forEach(tx.delete) }
        }
        let stale = owners.compactMap { keys.attachment(fromOwnerKey: $0.key) }.filter { !valid.contains($0) }
        var emptied: [String: String] = [:]
        for batch in stale.chunks(of: Self.releaseBatch) {
            let (done, empty) = try store.update { tx -> ([Attachment], [String: String]) in
                var empty: [String: String] = [:]
                let done = try batch.filter { attachment in
                    guard let held = try tx.get(keys.owner(attachment)) else { return false }
                    empty.merge(try release(LeaseKeys.addresses(fromOwnerValue: held.string), of: attachment, in: tx)) { $1 }
                    return true
                }
                return (done, empty)
            }
            released += done
            emptied.merge(empty) { $1 }
        }
        let unexplained = try store.range(prefix: keys.addresses).kvs.filter { !isExplained($0, valid: valid) }.map(\.key)
        for batch in unexplained.chunks(of: Self.releaseBatch) {
            try store.update { tx in
                for key in batch {
                    guard let kv = try tx.get(key), !isExplained(kv, valid: valid) else { continue }
                    // A lease taken since the owner keys were read explains its address too.
                    if let holder = keys.attachment(fromAddressValue: kv.string), let address = keys.address(fromAddressKey: key),
                       let owner = try tx.get(keys.owner(holder)),
                       LeaseKeys.addresses(fromOwnerValue: owner.string).contains(address) { continue }
                    tx.delete(key)
                    if let address = keys.address(fromAddressKey: key) { try blocks?.mark([address], used: false, in: tx) }
                }
            }
        }
        // After every batch: the value compares skip a block written again since it was left empty.
        blocks?.retire(emptied)
        return released
    }

    private func isExplained(_ kv: KeyValue, valid: Set<Attachment>) -> Bool {
        keys.address(fromAddressKey: kv.key) != nil
            && keys.attachment(fromAddressValue: kv.string).map(valid.contains) == true
    }

    /// Proves the store accepts writes, without changing it (STATUS).
    public func verifyWritable() throws {
        try store.update { tx in tx.delete(keys.prefix + "status-probe") }
    }

    // MARK: - Inside a transaction

    private func claim(_ address: IPAddress, in set: RangeSet, for attachment: Attachment,
                       tx: TransactionContext) throws -> Lease {
        guard let range = set.range(leasing: address) else {
            let reason = set.range(containing: address)?.reservationReason(address)
                ?? "is outside the allocation range \(set)"
            throw IPAMError.invalidRequest("requested address \(address) \(reason)")
        }
        if let holder = try tx.get(keys.address(address)), keys.attachment(fromAddressValue: holder.string) != attachment {
            throw IPAMError.addressInUse(address, owner: keys.attachment(fromAddressValue: holder.string).map(keys.addressValue) ?? holder.string)
        }
        return Lease(address: address, range: range)
    }

    private func claimNext(in set: RangeSet, index: Int, for attachment: Attachment,
                           tx: TransactionContext) throws -> Lease {
        let last = try tx.get(keys.lastReserved(rangeSet: index)).flatMap { IPAddress($0.string) }
        for (candidate, range) in set.candidates(after: last) where try tx.get(keys.address(candidate)) == nil {
            return Lease(address: candidate, range: range)
        }
        throw IPAMError.exhausted(rangeSet: set.description)
    }

    /// Returns the blocks this left empty (see `BlockAllocator.retire`).
    @discardableResult
    private func release(_ addresses: [IPAddress], of attachment: Attachment, in tx: TransactionContext) throws -> [String: String] {
        for address in addresses {
            // Only delete an address key that still names this attachment.
            if try tx.get(keys.address(address)).flatMap({ keys.attachment(fromAddressValue: $0.string) }) == attachment {
                tx.delete(keys.address(address))
            }
        }
        let emptied = try blocks?.mark(addresses, used: false, in: tx) ?? [:]
        tx.delete(keys.owner(attachment))
        return emptied
    }

    /// Held addresses as leases if they still satisfy the configuration and the request: exactly
    /// one per range set, each leasable, and every requested address among them.
    private static func fit(_ addresses: [IPAddress], to rangeSets: [RangeSet], requested: [IPAddress]) -> [Lease]? {
        guard addresses.count == rangeSets.count, requested.allSatisfy(addresses.contains) else { return nil }
        var leases: [Lease] = []
        for (address, set) in zip(addresses, rangeSets) {
            guard let range = set.range(leasing: address) else { return nil }
            leases.append(Lease(address: address, range: range))
        }
        return leases
    }
}
