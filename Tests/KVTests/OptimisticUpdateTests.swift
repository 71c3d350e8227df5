import KV
import Synchronization
import Testing

/// `OptimisticUpdate` driven against each backend directly, with a second connection playing the other
/// writer that sneaks in between the body's reads and its commit.
@Suite struct OptimisticUpdateTests {
    @Test(arguments: Backend.allCases) func commitsBufferedWritesAtOneRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("n/old", "0")
            let value = try OptimisticUpdate.run(on: store) { tx throws in
                tx.put("n/a", "1")
                tx.put("n/b", "2")
                tx.delete("n/old")
                #expect(try tx.get("n/a")?.string == "1")
                #expect(try tx.get("n/old") == nil)
                #expect(try tx.range(prefix: "n/").map(\.key) == ["n/a", "n/b"])
                return "done"
            }
            #expect(value == "done")
            #expect(try store.revision() == 2)
            #expect(try store.range(prefix: "").kvs.map(\.key) == ["n/a", "n/b"])
            #expect(try store.range(prefix: "").kvs.map(\.modRevision) == [2, 2])
        }
    }

    @Test(arguments: Backend.allCases) func retriesWhenAReadKeyChanged(_ backend: Backend) throws {
        try expectRetry(on: backend,
                        setUp: { try $0.put("counter", "1") },
                        interfere: { try $0.put("counter", "10") }) { tx throws in
            let current = Int(try tx.get("counter")!.string)!
            tx.put("counter", "\(current + 1)")
        }
        verify: { store throws in #expect(try store.get("counter")?.string == "11") }
    }

    @Test(arguments: Backend.allCases) func retriesWhenAnAbsentKeyAppeared(_ backend: Backend) throws {
        try expectRetry(on: backend,
                        setUp: { _ in }, interfere: { try $0.put("lock", "other") }) { tx throws in
            if try tx.get("lock") == nil { tx.put("lock", "me") }
        }
        verify: { store throws in #expect(try store.get("lock")?.string == "other") }
    }

    @Test(arguments: Backend.allCases) func retriesWhenAKeyAppearedUnderARangedPrefix(_ backend: Backend) throws {
        try expectRetry(on: backend,
                        setUp: { try $0.put("slots/0", "a") },
                        interfere: { try $0.put("slots/1", "other") }) { tx throws in
            _ = try claimFirstFreeSlot(tx, owner: "me")
        }
        verify: { store throws in #expect(try store.range(prefix: "slots/").kvs.map(\.string) == ["a", "other", "me"]) }
    }

    @Test(arguments: Backend.allCases) func retriesWhenAKeyVanishedFromARangedPrefix(_ backend: Backend) throws {
        try expectRetry(on: backend,
                        setUp: { try $0.put("m/a", "1") }, interfere: { try $0.delete("m/a") }) { tx throws in
            tx.put("count", "\(try tx.range(prefix: "m/").count)")
        }
        verify: { store throws in #expect(try store.get("count")?.string == "0") }
    }

    @Test(arguments: Backend.allCases) func givesUpAfterTheLastAttempt(_ backend: Backend) throws {
        try backend.withConnections { connect throws in
            let store = try connect(), other = try connect()
            var runs = 0
            #expect(throws: KVError.self) {
                try OptimisticUpdate.run(on: store, attempts: 3) { tx throws in
                    runs += 1
                    _ = try tx.get("hot")
                    try other.put("hot", "\(runs)")
                    tx.put("mine", "x")
                }
            }
            #expect(runs == 3)
            #expect(try store.get("mine") == nil)
        }
    }

    @Test(arguments: Backend.allCases) func bodyErrorsAreNotRetried(_ backend: Backend) throws {
        try backend.withStore { store throws in
            var runs = 0
            #expect(throws: Interrupted.self) {
                try OptimisticUpdate.run(on: store) { tx throws in
                    runs += 1
                    tx.put("a", "1")
                    throw Interrupted()
                }
            }
            #expect(runs == 1)
            #expect(try store.revision() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func concurrentConnectionsNeverClaimOneSlotTwice(_ backend: Backend) throws {
        try backend.withConnections { connect throws in
            let slots = Mutex<[Int]>([])
            try onThreads(4) { thread throws in
                let store = try connect()
                for claim in 0..<10 {
                    let slot = try OptimisticUpdate.run(on: store, attempts: 200) { tx throws in
                        try claimFirstFreeSlot(tx, owner: "\(thread)/\(claim)")
                    }
                    slots.withLock { $0.append(slot) }
                }
            }
            #expect(slots.withLock { $0.sorted() } == Array(0..<40))
            #expect(try connect().range(prefix: "slots/").kvs.count == 40)
        }
    }

    /// Runs `body` optimistically; on its first run only, another connection makes `interfere`'s write
    /// after the body's reads. Expects exactly one retry, then checks the outcome.
    private func expectRetry(
        on backend: Backend,
        setUp: (any KeyValueStore) throws -> Void, interfere: (any KeyValueStore) throws -> Void,
        body: (TransactionContext) throws -> Void, verify: (any KeyValueStore) throws -> Void
    ) throws {
        try backend.withConnections { connect throws in
            let store = try connect(), other = try connect()
            try setUp(store)
            var runs = 0
            try OptimisticUpdate.run(on: store) { tx throws in
                runs += 1
                try body(tx)
                if runs == 1 { try interfere(other) }
            }
            #expect(runs == 2)
            try verify(store)
        }
    }
}
