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

/// Leases for one network, kept in a `KeyValueStore`. Every operation is one store transaction, so
/// concurrent processes never hand out an address twice and a crash leaves either all of a lease
/// or none of it.
public struct LeaseManager {
    let store: any KeyValueStore
    let keys: LeaseKeys

    public init(store: any KeyValueStore, network: NetworkName) {
        self.store = store
        keys = LeaseKeys(network: network)
    }

    /// Leases one address from each range set to `attachment`, taking the `requested` addresses
    /// where they fall. If the attachment already holds fitting leases (an ADD repeated after a
    /// crash), those are returned instead of new ones.
    public func acquire(for attachment: Attachment, from rangeSets: [RangeSet],
                        requested: [IPAddress] = []) throws -> [Lease] {
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

    /// Releases every address `attachment` holds. Releasing nothing is not an error.
    /// Returns the addresses released.
    @discardableResult
    public func release(_ attachment: Attachment) throws -> [IPAddress] {
        try store.update { tx in
            guard let held = try tx.get(keys.owner(attachment)) else { return [] }
            let addresses = LeaseKeys.addresses(fromOwnerValue: held.string)
            try release(addresses, of: attachment, in: tx)
            return addresses
        }
    }

    /// The addresses `attachment` holds (empty if none).
    public func addresses(of attachment: Attachment) throws -> [IPAddress] {
        try LeaseRecords(store: store).lease(of: attachment, on: keys.network)?.addresses ?? []
    }

    /// Releases the leases of every attachment not in `valid`, in one transaction, and removes the
    /// keys that no lease of a valid attachment explains: an owner key that does not parse, and an
    /// address key whose key or holder does not parse or names an attachment not in `valid` (what a
    /// damaged owner key leaves, which no DEL finds). An address held by a valid attachment stays,
    /// owner key or not: that attachment may be using it.
    /// Returns the attachments whose leases were released.
    @discardableResult
    public func releaseAll(except valid: Set<Attachment>) throws -> [Attachment] {
        try store.update { tx in
            var released: [Attachment] = []
            for kv in try tx.range(prefix: keys.owners) {
                guard let attachment = keys.attachment(fromOwnerKey: kv.key) else {
                    tx.delete(kv.key)
                    continue
                }
                guard !valid.contains(attachment) else { continue }
                try release(LeaseKeys.addresses(fromOwnerValue: kv.string), of: attachment, in: tx)
                released.append(attachment)
            }
            for kv in try tx.range(prefix: keys.addresses) {
                let explained = keys.address(fromAddressKey: kv.key) != nil
                    && keys.attachment(fromAddressValue: kv.string).map(valid.contains) == true
                if !explained { tx.delete(kv.key) }
            }
            return released
        }
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

    private func release(_ addresses: [IPAddress], of attachment: Attachment, in tx: TransactionContext) throws {
        for address in addresses {
            // Only delete an address key that still names this attachment.
            if try tx.get(keys.address(address)).flatMap({ keys.attachment(fromAddressValue: $0.string) }) == attachment {
                tx.delete(keys.address(address))
            }
        }
        tx.delete(keys.owner(attachment))
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
