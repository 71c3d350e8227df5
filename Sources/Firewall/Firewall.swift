import Addressing
import Identity
import Glibc

/// swift-cni's firewall: the tables `inet swift-cni` and `bridge swift-cni`, whose fixed rules read
/// sets and maps, and whose set elements are the per-container state (see `Ruleset`, `TableSet`).
///
/// Each operation is one nf_tables batch, applied by the kernel atomically: a crash leaves either
/// all of an owner's elements (with the record listing them) or none. Elements are added with
/// NLM_F_EXCL, so an address or port held by another owner fails the batch instead of being taken
/// over. No other table is ever read or written.
public final class Firewall {
    private let socket: NetfilterSocket
    /// Owners removed by expiry whose elements may not have expired yet (see `awaitRemovals`).
    private var expiring: [FirewallOwner] = []

    /// Opens a netlink socket in the calling thread's network namespace.
    public init() throws {
        socket = try NetfilterSocket()
    }

    /// Makes `entries` everything `owner` has: creates the tables on first use, removes what the
    /// owner had before and adds the new elements, all in one batch. Throws
    /// `FirewallError.conflict` when another owner holds one of the keys; nothing changes then.
    ///
    /// Unless `eviction` says that holder is stale: then all its elements are removed to make room
    /// and the batch is tried again. A record's key is never taken over.
    ///
    /// A key whose owner was just removed is still held until its element expires, within a jiffy
    /// (see `Batch.expire`); the batch is then retried once that moment has passed. Removals wait
    /// for their expiry (`awaitRemovals`), so this happens only when one was cut short.
    public func replace(_ owner: FirewallOwner, with entries: [FirewallEntry],
                        evicting eviction: EvictionPolicy = .never) throws {
        var evicted: Set<FirewallOwner> = []
        var retries = 0
        while true {
            do {
                return try replaceOnce(owner, with: entries, evicting: eviction)
            } catch let ClearableRefusal.leaving(remainingMilliseconds) where retries < Self.retryLimit {
                retries += 1
                usleep(UInt32(min(remainingMilliseconds, 1_000) + 1) * 1_000)
            } catch let ClearableRefusal.stale(holder) where !evicted.contains(holder) {
                evicted.insert(holder)
                try remove(holder)
                try awaitRemovals()
            }
        }
    }

    /// Why an add's batch was refused, when `replace` can clear the way and try again: an element
    /// on its way out, or a holder that the eviction policy calls stale.
    private enum ClearableRefusal: Error {
        /// The key's element is expiring (`Batch.expire`), or was gone by the time it was looked up:
        /// it expired, or its owner was removed, between the batch and the lookup. Rare: removals
        /// wait for their elements to expire before the DEL returns, and a refused batch costs the
        /// kernel a grace period.
        case leaving(remainingMilliseconds: UInt64)
        case stale(FirewallOwner)
    }

    /// An expiring element is gone after one jiffy; a few retries cover a clock tick landing late.
    private static let retryLimit = 5

    private func replaceOnce(_ owner: FirewallOwner, with entries: [FirewallEntry],
                             evicting eviction: EvictionPolicy) throws {
        var seen = Set<FirewallEntry>()
        let entries = entries.filter { seen.insert($0).inserted }
        // The owner's own earlier elements may still be on their way out (a DEL that was killed
        // before it had waited for them): adding over them would be refused.
        let previous = try record(of: owner, awaitingExpiry: true)
        let record = OwnerRecord(owner: owner, entries: entries)
        let chunks = try record.elements()

        let batch = Batch(socket: socket)
        for family in Self.families(previous?.entries ?? [], entries)
        where try socket.element(of: .owners, key: Ruleset.marker(family).key) == nil {
            batch.ensureSchema(family)
        }
        if let previous { try delete(previous, in: batch) }
        let comment = OwnerRecord.comment(owner)
        for entry in entries {
            for element in entry.elements { batch.add(element, userData: comment) }
        }
        for chunk in chunks {
            batch.add(SetElement(.owners, rawKey: chunk.key, summary: "the firewall record of \(owner)"),
                      userData: chunk.userData)
        }
        let failures = try batch.commit()
        if let failure = failures.first {
            guard case .add(let element) = failure.purpose, Self.conflictErrors.contains(failure.ack.error) else {
                throw explain(failure)
            }
            guard let holder = try socket.element(of: element.set, key: element.key, keyEnd: element.keyEnd) else {
                throw ClearableRefusal.leaving(remainingMilliseconds: 0)
            }
            if let expiry = holder.expiry {
                throw ClearableRefusal.leaving(remainingMilliseconds: expiry.remainingMilliseconds)
            }
            if element.set != .owners, let holderText = holder.ownerText,
               let holderOwner = FirewallOwner(text: holderText), eviction.evicts(holderOwner, for: owner) {
                throw ClearableRefusal.stale(holderOwner)
            }
            throw FirewallError.conflict(what: element.summary, holder: holder.ownerText)
        }
        forgetFlows(of: (previous?.entries ?? []) + entries)
    }

    /// What the kernel answers when an exclusive add meets a key that is already there.
    private static let conflictErrors: Set<Int32> = [EEXIST, ENOTEMPTY, EBUSY]

    /// Removes everything `owner` has and returns what that was; nothing (and no error) when it
    /// has nothing, so a repeated DEL is harmless.
    ///
    /// The elements expire rather than being deleted (see `Batch.expire` for why), within a jiffy:
    /// call `awaitRemovals` before reporting the removal done. Where expiry is refused, or the
    /// kernel ignored it and the record is still live, they are deleted instead.
    @discardableResult
    public func remove(_ owner: FirewallOwner) throws -> [FirewallEntry] {
        guard let previous = try record(of: owner) else { return [] }
        var failures = try commitRemoval(of: previous, by: .expiry)
        let left = failures.isEmpty ? try firstChunk(of: owner, awaitingExpiry: false) : nil
        if let left, left.expiry != nil {
            expiring.append(owner)
        } else if !failures.isEmpty || left != nil {
            // Refused, or accepted and ignored (the record is still live): delete instead.
            failures = try commitRemoval(of: previous, by: .deletion)
        }
        if let failure = failures.first { throw explain(failure) }
        forgetFlows(of: previous.entries)
        return previous.entries
    }

    /// Returns once every element that `remove` made expire has expired, so that whatever follows
    /// finds the keys free. A jiffy at most (4 ms here); called last, a DEL rarely waits at all.
    public func awaitRemovals() throws {
        for owner in expiring { _ = try firstChunk(of: owner, awaitingExpiry: true) }
        expiring.removeAll()
    }

    private static let expiryPollMicroseconds: UInt32 = 500
    /// Half a second: ten times a jiffy at the slowest common tick rate (100 Hz).
    private static let expiryPollLimit = 1_000

    private enum Removal { case expiry, deletion }

    /// Verifies that every element `owner`'s record lists is in the kernel, carrying the owner's
    /// comment (and, for a map, the recorded value), and that the record holds `expected` when given.
    public func verify(_ owner: FirewallOwner, expected: [FirewallEntry]? = nil) throws {
        guard let record = try record(of: owner) else {
            if expected?.isEmpty ?? false { return }
            throw FirewallError.missing(owner: owner.text, what: ["its firewall record"])
        }
        var missing: [String] = []
        if let expected {
            missing += Set(expected).subtracting(record.entries).map { "\($0) (not recorded)" }
        }
        for entry in record.entries {
            for element in entry.elements {
                let stored = try socket.element(of: element.set, key: element.key, keyEnd: element.keyEnd)
                if stored?.ownerText != owner.text || (element.value != nil && stored?.value != element.value) {
                    missing.append(element.summary)
                }
            }
        }
        if !missing.isEmpty { throw FirewallError.missing(owner: owner.text, what: missing) }
    }

    /// The owners of `role` on `network` that have something in the firewall.
    public func owners(_ role: FirewallOwner.Role, network: NetworkName) throws -> [FirewallOwner] {
        try socket.elements(of: .owners).compactMap { element in
            // Chunk 0 of each record: every record has one, and only one.
            guard element.key.dropLast().last == UInt8(ascii: "0"), element.expiry == nil, let text = element.ownerText,
                  let owner = FirewallOwner(text: text), owner.role == role, owner.attachment.network == network else { return nil }
            return owner
        }
    }

    // MARK: - Records

    /// The owner's record; `nil` when it has none, or only one on its way out (`Batch.expire`),
    /// unless `awaitingExpiry`, which waits for that one to go first.
    private func record(of owner: FirewallOwner, awaitingExpiry: Bool = false) throws -> OwnerRecord? {
        guard let first = try firstChunk(of: owner, awaitingExpiry: awaitingExpiry), first.expiry == nil else {
            return nil
        }
        guard first.ownerText == owner.text, let count = OwnerRecord.chunkCount(userData: first.userData) else {
            throw FirewallError.corruptRecord("the record keyed for \(owner) belongs to \(first.ownerText ?? "nobody")")
        }
        var chunks = [first.userData]
        for index in 1..<max(count, 1) {
            guard let chunk = try socket.element(of: .owners, key: owner.recordKey(chunk: index)) else {
                throw FirewallError.corruptRecord("chunk \(index) of the record of \(owner) is missing")
            }
            chunks.append(chunk.userData)
        }
        return try OwnerRecord(chunks: chunks)
    }

    /// Chunk 0 of `owner`'s record. `awaitingExpiry` polls while it is on its way out: the kernel
    /// signals no expiry, and a lookup costs tens of microseconds.
    private func firstChunk(of owner: FirewallOwner, awaitingExpiry: Bool) throws -> StoredElement? {
        var chunk = try socket.element(of: .owners, key: owner.recordKey(chunk: 0))
        var polls = 0
        while awaitingExpiry, chunk?.expiry != nil, polls < Self.expiryPollLimit {
            usleep(Self.expiryPollMicroseconds)
            polls += 1
            chunk = try socket.element(of: .owners, key: owner.recordKey(chunk: 0))
        }
        return chunk
    }

    /// Every element a record lists, and the record's own, by set.
    private func elements(of record: OwnerRecord) throws -> [TableSet: [SetElement]] {
        let elements = record.entries.flatMap(\.elements)
            + (try record.elements()).map { SetElement(.owners, rawKey: $0.key, summary: "") }
        return Dictionary(grouping: elements, by: \.set)
    }

    private func delete(_ record: OwnerRecord, in batch: Batch) throws {
        for (set, members) in try elements(of: record) { batch.delete(members, from: set) }
    }

    private func commitRemoval(of record: OwnerRecord, by removal: Removal) throws -> [Batch.Failure] {
        var failures = try commitRemoval(of: record, by: removal, ensuringSchema: false)
        if failures.contains(where: { $0.ack.error == ENOENT }) {
            // One of our tables was deleted by hand since the record was read: recreate what the
            // removal refers to (empty), then remove.
            failures = try commitRemoval(of: record, by: removal, ensuringSchema: true)
        }
        return failures
    }

    private func commitRemoval(of record: OwnerRecord, by removal: Removal,
                               ensuringSchema: Bool) throws -> [Batch.Failure] {
        let batch = Batch(socket: socket)
        if ensuringSchema {
            for family in Self.families(record.entries) { batch.ensureSchema(family) }
        }
        for (set, members) in try elements(of: record) {
            switch removal {
            case .expiry: batch.expire(members, in: set)
            case .deletion: batch.delete(members, from: set)
            }
        }
        return try batch.commit()
    }

    /// The tables a set of entries touches: always the inet one (it holds the records).
    private static func families(_ lists: [FirewallEntry]...) -> [TableFamily] {
        let spoofChecks = lists.joined().contains { if case .spoofCheck = $0 { true } else { false } }
        return spoofChecks ? [.inet, .bridge] : [.inet]
    }

    // MARK: - Failures

    private func explain(_ failure: Batch.Failure) -> FirewallError {
        switch failure.purpose {
        case .add(let element):
            return .kernel(operation: "add \(element.summary)", errno: failure.ack.error,
                           reason: failure.ack.description)
        case .remove(let set):
            return .kernel(operation: "remove elements of set \(set.name)", errno: failure.ack.error,
                           reason: failure.ack.description)
        case .schema(let step):
            return .kernel(operation: step, errno: failure.ack.error, reason: failure.ack.description)
        }
    }

    /// Stale UDP flows of published ports (see `Conntrack`). Best effort: the mapping itself is
    /// in place either way, and an entry left behind only delays the new mapping until it times out.
    private func forgetFlows(of entries: [FirewallEntry]) {
        let conntrack = Conntrack(socket: socket)
        for case .publish(let forward) in entries where forward.proto == .udp {
            _ = try? conntrack.forget(forward)
        }
    }
}
