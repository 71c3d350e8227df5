import KV
import Synchronization
import Testing

@Suite struct UpdateTests {
    @Test(arguments: Backend.allCases) func bodyReadsItsOwnWrites(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("n/old", "0")
            try store.update { tx throws in
                tx.put("n/a", "1")
                // A native update knows the revision it will commit at; an optimistic one (etcd) does not.
                let settled = backend == .etcd ? KeyValue(key: "n/a", value: "1".bytes, createRevision: 0, modRevision: 0, version: 0)
                    : KeyValue(key: "n/a", value: "1".bytes, createRevision: 2, modRevision: 2, version: 1)
                #expect(try tx.get("n/a") == settled)
                tx.delete("n/old")
                #expect(try tx.get("n/old") == nil)
                #expect(try tx.range(prefix: "n/").map(\.key) == ["n/a"])
            }
            #expect(try store.range(prefix: "").kvs.map(\.key) == ["n/a"])
        }
    }

    @Test(arguments: Backend.allCases) func allWritesShareOneRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("c", "0")
            let value = try store.update { tx throws in
                tx.put("a", "1")
                tx.put("b", "2")
                tx.put("c", "3")
                return 42
            }
            #expect(value == 42)
            #expect(try store.revision() == 2)
            #expect(try store.range(prefix: "").kvs.map(\.modRevision) == [2, 2, 2])
        }
    }

    @Test(arguments: Backend.allCases) func updateWithoutWritesKeepsTheRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            try store.update { tx throws in
                _ = try tx.get("a")
                tx.delete("missing")
            }
            #expect(try store.revision() == 1)
        }
    }

    @Test(arguments: Backend.allCases) func throwingBodyWritesNothing(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            #expect(throws: Interrupted.self) {
                try store.update { tx throws in
                    tx.put("a", "2")
                    tx.put("b", "2")
                    throw Interrupted()
                }
            }
            #expect(try store.revision() == 1)
            #expect(try store.get("a")?.string == "1")
            #expect(try store.get("b") == nil)
            // The store is still usable after the rollback.
            #expect(try store.put("b", "3") == 2)
        }
    }

    @Test(arguments: Backend.allCases) func failedWriteAbortsTheUpdate(_ backend: Backend) throws {
        try backend.withStore { store throws in
            #expect(throws: KVError.invalidArgument("a key must not be empty")) {
                try store.update { tx throws in
                    tx.put("a", "1")
                    tx.put("", "1")
                }
            }
            #expect(try store.revision() == 0)
        }
    }

    /// Many connections claim "the first free slot" at once; serialisation must give each claim a
    /// distinct slot and lose none.
    @Test(arguments: Backend.allCases) func concurrentConnectionsNeverClaimOneSlotTwice(_ backend: Backend) throws {
        try backend.withConnections { connect throws in
            let claims = Mutex<[Int: String]>([:])
            let duplicates = Mutex<[Int]>([])
            try onThreads(8) { thread throws in
                let store = try connect()
                for claim in 0..<25 {
                    let owner = "\(thread)/\(claim)"
                    let slot = try store.update { tx in try claimFirstFreeSlot(tx, owner: owner) }
                    claims.withLock {
                        if $0.updateValue(owner, forKey: slot) != nil { duplicates.withLock { $0.append(slot) } }
                    }
                }
            }
            let store = try connect()
            let stored = try store.range(prefix: "slots/").kvs
            #expect(duplicates.withLock { $0 } == [])
            #expect(claims.withLock { $0.count } == 200)
            #expect(Set(claims.withLock { $0.keys }) == Set(0..<200))
            #expect(stored.count == 200)
            for kv in stored {
                let slot = Int(kv.key.dropFirst("slots/".count))!
                #expect(claims.withLock { $0[slot] } == kv.string)
            }
            #expect(try store.revision() == 200)
        }
    }
}

/// Claims the lowest-numbered free slot for `owner` and returns it.
func claimFirstFreeSlot(_ tx: TransactionContext, owner: String) throws -> Int {
    let taken = Set(try tx.range(prefix: "slots/").map(\.key))
    let slot = (0...).first { !taken.contains("slots/\($0)") }!
    tx.put("slots/\(slot)", owner)
    return slot
}
