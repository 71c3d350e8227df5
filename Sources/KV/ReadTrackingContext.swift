/// `OptimisticUpdate`'s context: reads go to the store and are remembered with the revisions they saw,
/// writes are held back, and `transaction` turns both into one compare-and-swap.
///
/// A key the body wrote reads back with its new value but with revisions and version 0, since the
/// revision it will commit at is not known yet.
final class ReadTrackingContext<Store: KeyValueStore>: TransactionContext {
    private enum Write {
        case put([UInt8])
        case delete
    }

    private let store: Store
    /// Each key read, with its mod revision when first read (0 if absent).
    private var readKeys: [String: Int64] = [:]
    /// Each prefix ranged over, with the lowest store revision it was read at.
    private var readPrefixes: [String: Int64] = [:]
    private var writes: [String: Write] = [:]
    /// Keys in the order first written, so that the commit replays the body's writes in order.
    private var writeOrder: [String] = []

    init(_ store: Store) {
        self.store = store
    }

    func get(_ key: String) throws -> KeyValue? {
        if let write = writes[key] {
            return Self.provisional(key, write)
        }
        let kv = try store.get(key)
        noteRead(key, modRevision: kv?.modRevision ?? 0)
        return kv
    }

    func range(prefix: String) throws -> [KeyValue] {
        let result = try store.range(prefix: prefix)
        for kv in result.kvs {
            noteRead(kv.key, modRevision: kv.modRevision)
        }
        readPrefixes[prefix] = min(readPrefixes[prefix] ?? .max, result.revision)

        var merged = Dictionary(uniqueKeysWithValues: result.kvs.map { ($0.key, $0) })
        for (key, write) in writes where key.utf8.starts(with: prefix.utf8) {
            merged[key] = Self.provisional(key, write)
        }
        return merged.values.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    func put(_ key: String, _ value: [UInt8]) {
        note(.put(value), to: key)
    }

    func delete(_ key: String) {
        note(.delete, to: key)
    }

    /// The commit that applies the writes if every read still holds; `nil` if the body neither read
    /// nor wrote anything.
    var transaction: Transaction? {
        guard !(readKeys.isEmpty && readPrefixes.isEmpty && writes.isEmpty) else { return nil }
        let keyCompares = readKeys.sorted { $0.key < $1.key }.map { Compare.modRevision($0.key, .equal, $0.value) }
        let prefixCompares = readPrefixes.sorted { $0.key < $1.key }.map {
            Compare.modRevisions(prefix: $0.key, .less, $0.value + 1)
        }
        let operations = writeOrder.map { key -> Operation in
            switch writes[key]! {
            case .put(let value): .put(key, value)
            case .delete: .delete(key)
            }
        }
        return Transaction(compares: keyCompares + prefixCompares, success: operations)
    }

    private func noteRead(_ key: String, modRevision: Int64) {
        // The first read is what the body acted on; if a later one differs, the commit fails anyway.
        if readKeys[key] == nil {
            readKeys[key] = modRevision
        }
    }

    private func note(_ write: Write, to key: String) {
        if writes.updateValue(write, forKey: key) == nil {
            writeOrder.append(key)
        }
    }

    private static func provisional(_ key: String, _ write: Write) -> KeyValue? {
        switch write {
        case .put(let value): KeyValue(key: key, value: value, createRevision: 0, modRevision: 0, version: 0)
        case .delete: nil
        }
    }
}
