import Addressing
import Identity
import KV

/// Leases addresses from blocks that hosts claim, so that hosts sharing one store rarely contend:
/// each ADD is one compare-and-swap transaction on the blocks it touches and the lease's keys.
///
/// A host leases from its own blocks first, round robin inside each; when they are full it claims a
/// free block (created only if absent, so no block ever has two owners); when no block is free it
/// takes a free address from another host's block, in the same one transaction. The blocks as last
/// read are kept, in the process and in a `BlockMemory` when given one, so that an allocator
/// commits without reading first; a failed commit reads them again, and so does a requested address
/// they show held, before it is refused.
public final class BlockAllocator {
    let store: any KeyValueStore
    let keys: LeaseKeys
    let layout: BlockLayout
    /// The network's range sets, which say where a released address's block is.
    let rangeSets: [RangeSet]
    /// Each block as last seen, with its mod revision; `nil` until read.
    private var known: [Subnet: (state: BlockState, revision: Int64)]?
    /// Addresses found held whose bits were clear (leased before the blocks counted them).
    private var taken: Set<IPAddress> = []
    /// Where the blocks known are kept for the next process; read once, when nothing is known.
    private let memory: (any BlockMemory)?

    /// How many commits one `acquire` tries before giving up with `KVError.contention`.
    static let attempts = 20

    public init(store: any KeyValueStore, network: NetworkName, rangeSets: [RangeSet], layout: BlockLayout,
                memory: (any BlockMemory)? = nil) {
        self.store = store
        self.memory = memory
        keys = LeaseKeys(network: network)
        self.rangeSets = rangeSets
        self.layout = layout
    }

    /// Leases one address per range set to `attachment`, which must hold none, taking `requested`
    /// addresses where they fall. `nil` when the store shows the attachment already holds a lease.
    func acquire(for attachment: Attachment, from rangeSets: [RangeSet], requested: [IPAddress]) throws -> [Lease]? {
        // The owner key this ADD left to settle a commit whose answer was lost (see `settle`).
        var fence: Int64?
        // Whether `known` was read during this call: the state kept from an earlier call may
        // show an address held that another process has released since.
        var fresh = false
        if known == nil, let recalled = memory?.recall(), !recalled.isEmpty { remember(recalled) }
        attempts: for _ in 1...Self.attempts {
            if known == nil { fresh = true }
            let blocks = try known ?? load()
            var changed: [Subnet: BlockState] = [:]
            var leases: [Lease] = []
            var unplaced = requested
            for set in rangeSets {
                let (lease, block, state): (Lease, Subnet, BlockState)
                if let wanted = unplaced.firstIndex(where: { set.range(containing: $0) != nil }) {
                    guard let picked = try pick(unplaced.remove(at: wanted), in: set, blocks, changed, fresh: fresh) else {
                        known = nil
                        continue attempts
                    }
                    (lease, block, state) = picked
                } else {
                    (lease, block, state) = try pickNext(in: set, blocks, changed)
                }
                changed[block] = state
                leases.append(lease)
            }
            if let stray = unplaced.first {
                throw IPAMError.invalidRequest(
                    "requested address \(stray) is outside every range of this network "
                        + "(\(rangeSets.map(\.description).joined(separator: "; ")))")
            }
            let ownerKey = keys.owner(attachment)
            var compares = [Self.unheld(ownerKey, fence: fence)]
            var writes: [Operation] = []
            for lease in leases {
                compares.append(.absent(keys.address(lease.address)))
                writes.append(.put(keys.address(lease.address), Array(keys.addressValue(attachment).utf8)))
            }
            for (block, state) in changed {
                let key = keys.block(block)
                compares.append(blocks[block].map { .modRevision(key, .equal, $0.revision) } ?? .absent(key))
                writes.append(.put(key, Array(state.value.utf8)))
            }
            writes.append(.put(ownerKey, Array(LeaseKeys.ownerValue(holding: leases.map(\.address)).utf8)))
            // A failed commit reads the blocks again in the same request, for the next attempt.
            let transaction = Transaction(compares: compares, success: writes,
                                          failure: [.get(ownerKey)] + leases.map { .get(keys.address($0.address)) }
                                              + [.range(prefix: keys.blocks)])
            let result: TransactionResult
            do {
                result = try store.commit(transaction)
            } catch KVError.unavailable {
                known = nil
                switch try settle(ownerKey, leases: leases, fence: fence) {
                case .applied: return leases
                case .heldElsewhere: return nil
                case .fenced(let revision):
                    fence = revision
                    continue
                }
            }
            if result.succeeded {
                for (block, state) in changed { known?[block] = (state, result.revision) }
                if let memory, let known {
                    memory.keep(known.map { block, seen in
                        KeyValue(key: keys.block(block), value: Array(seen.state.value.utf8), createRevision: 0,
                                 modRevision: seen.revision, version: 0)
                    })
                }
                return leases
            }
            known = nil
            if case .range(let current)? = result.results.last { remember(current) }
            fresh = true
            guard case .range(let owner)? = result.results.first, owner.allSatisfy({ $0.modRevision == fence }) else { return nil }
            for case (let lease, .range(let held)) in zip(leases, result.results.dropFirst()) where !held.isEmpty {
                taken.insert(lease.address)
            }
        }
        throw KVError.contention("\(Self.attempts) attempts in a row to lease from \(keys.network)'s blocks were overtaken by other writers")
    }

    /// Marks `addresses` leased or free in their blocks that exist, inside the caller's transaction
    /// (an address of a block no host claimed is held by its address key alone). Returns the blocks
    /// this left empty, by key, with the value written (for `retire`).
    @discardableResult
    func mark(_ addresses: [IPAddress], used: Bool, in tx: TransactionContext) throws -> [String: String] {
        var emptied: [String: String] = [:]
        for address in addresses {
            guard let range = rangeSets.lazy.compactMap({ $0.range(containing: address) }).first else { continue }
            let block = layout.block(of: address, in: range)
            let key = keys.block(block)
            guard let kv = try tx.get(key), var state = BlockState(value: kv.string, size: Self.size(of: block)) else { continue }
            state.mark(address, in: block, used: used)
            tx.put(key, state.value)
            emptied[key] = state.used.contains(true) ? nil : state.value
        }
        return emptied
    }

    private func load() throws -> [Subnet: (state: BlockState, revision: Int64)] {
        remember(try store.range(prefix: keys.blocks).kvs)
    }

    /// Keeps the blocks `kvs` hold, read from the store, as the ones known.
    @discardableResult
    private func remember(_ kvs: [KeyValue]) -> [Subnet: (state: BlockState, revision: Int64)] {
        var blocks: [Subnet: (state: BlockState, revision: Int64)] = [:]
        for kv in kvs {
            guard let block = keys.block(fromKey: kv.key),
                  let state = BlockState(value: kv.string, size: Self.size(of: block)) else { continue }
            blocks[block] = (state, kv.modRevision)
        }
        known = blocks
        return blocks
    }

    private typealias Pick = (Lease, Subnet, BlockState)

    /// The lease of a requested address; `nil` when only the blocks kept from an earlier call
    /// (`fresh` false) say it is held, so the caller reads them again before refusing it.
    private func pick(_ address: IPAddress, in set: RangeSet, _ blocks: [Subnet: (state: BlockState, revision: Int64)],
                      _ changed: [Subnet: BlockState], fresh: Bool) throws -> Pick? {
        guard let range = set.range(leasing: address) else {
            let reason = set.range(containing: address)?.reservationReason(address)
                ?? "is outside the allocation range \(set)"
            throw IPAMError.invalidRequest("requested address \(address) \(reason)")
        }
        let block = layout.block(of: address, in: range)
        var state = changed[block] ?? blocks[block]?.state ?? BlockState(owner: layout.hostID, size: Self.size(of: block))
        if state.isUsed(address, in: block) || taken.contains(address) {
            if !fresh { return nil }
            let holder = try store.get(keys.address(address))
            if holder != nil || state.isUsed(address, in: block) {
                throw IPAMError.addressInUse(address, owner: holder.map { $0.string } ?? "a lease not yet released")
            }
            // Held when a commit failed, released since.
            taken.remove(address)
        }
        state.mark(address, in: block, used: true)
        return (Lease(address: address, range: range), block, state)
    }

    private func pickNext(in set: RangeSet, _ blocks: [Subnet: (state: BlockState, revision: Int64)],
                          _ changed: [Subnet: BlockState]) throws -> Pick {
        func current(_ block: Subnet) -> BlockState? { changed[block] ?? blocks[block]?.state }
        func take(_ block: Subnet, _ range: IPRange, _ state: BlockState) -> Pick? {
            guard let address = state.free(in: block, range: range, skipping: taken) else { return nil }
            var state = state
            state.mark(address, in: block, used: true)
            return (Lease(address: address, range: range), block, state)
        }
        let ranges = set.ranges.sorted { $0.start < $1.start }
        let ours = blocks.keys.filter { current($0)?.owner == layout.hostID }.sorted { $0.network < $1.network }
        for block in ours {
            if let range = ranges.first(where: { $0.subnet.contains(block.network) }),
               let picked = take(block, range, current(block)!) { return picked }
        }
        for range in ranges {
            for block in layout.blocks(of: range) where current(block) == nil {
                if let picked = take(block, range, BlockState(owner: layout.hostID, size: Self.size(of: block))) {
                    return picked
                }
            }
        }
        for range in ranges {
            for block in blocks.keys.sorted(by: { $0.network < $1.network }) where range.subnet.contains(block.network) {
                if let picked = take(block, range, current(block)!) { return picked }
            }
        }
        throw IPAMError.exhausted(rangeSet: set.description)
    }

    static func size(of block: Subnet) -> Int { 1 << (block.family.bitWidth - block.prefixLength) }
}
