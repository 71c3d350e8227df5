import Foundation
import KV
import Testing

/// Leases as the protocol defines them, on every backend: keys attached to a lease go when it is
/// revoked or expires, in one revision; keep-alive holds them; a write on an ended lease writes nothing.
@Suite struct LeaseTests {
    @Test(arguments: Backend.allCases) func revokingDeletesTheLeasesKeysInOneRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let lease = try store.grantLease(ttl: .seconds(30))
            #expect(try store.revision() == 0, "granting writes no revision")
            try store.put("l/a", "1", lease: lease)
            try store.put("l/b", "2", lease: lease)
            try store.put("l/c", "3")
            let ttl = try #require(try store.timeToLive(lease))
            #expect(ttl > .seconds(25) && ttl <= .seconds(30))

            #expect(try store.revoke(lease))
            #expect(try store.revision() == 4)
            #expect(try store.range(prefix: "l/").kvs.map(\.key) == ["l/c"])
            #expect(try store.timeToLive(lease) == nil)
            #expect(try store.keepAlive(lease) == nil)
            #expect(try store.revoke(lease) == false)
            #expect(try store.revision() == 4)
        }
    }

    @Test(arguments: Backend.allCases) func aWriteOnAnEndedLeaseWritesNothing(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let lease = try store.grantLease(ttl: .seconds(30))
            try store.revoke(lease)
            #expect(throws: KVError.leaseNotFound(lease)) { try store.put("k", "v", lease: lease) }
            let transaction = Transaction(compares: [.absent("k")], success: [.put("j", "1".bytes), .leasedPut("k", "v".bytes, lease: lease)])
            #expect(throws: KVError.leaseNotFound(lease)) { try store.commit(transaction) }
            #expect(try store.range(prefix: "").kvs.isEmpty)
            #expect(try store.revision() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func aTransactionAttachesKeysToALease(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let lease = try store.grantLease(ttl: .seconds(30))
            let result = try store.commit(Transaction(compares: [.absent("t/k")],
                                                      success: [.leasedPut("t/k", "v".bytes, lease: lease), .put("t/plain", "p".bytes)]))
            #expect(result.succeeded && result.results == [.put, .put])
            #expect(try store.get("t/k")?.string == "v")
            try store.revoke(lease)
            #expect(try store.range(prefix: "t/").kvs.map(\.key) == ["t/plain"])
        }
    }

    @Test(arguments: Backend.allCases) func aPlainPutDetachesAKeyFromItsLease(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let lease = try store.grantLease(ttl: .seconds(30))
            try store.put("k", "1", lease: lease)
            try store.put("k", "2")
            try store.revoke(lease)
            #expect(try store.get("k")?.string == "2")
        }
    }

    @Test(arguments: Backend.allCases) func anExpiredLeasesKeysVanishAndAreDeletedInTheirOwnRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let lease = try store.grantLease(ttl: .seconds(1))
            try store.put("e/k", "v", lease: lease)
            try store.put("e/stays", "v")
            let watch = try store.watch(prefix: "e/", afterRevision: 2)
            defer { watch.cancel() }
            // etcd grants at least 2 s and checks for expiry every 500 ms.
            try waitUntil(seconds: 10) { try store.get("e/k") == nil }
            #expect(try store.range(prefix: "e/").kvs.map(\.key) == ["e/stays"])
            #expect(try store.timeToLive(lease) == nil)
            #expect(try store.keepAlive(lease) == nil)
            #expect(throws: KVError.leaseNotFound(lease)) { try store.put("e/again", "v", lease: lease) }

            // A local store deletes the keys at its next write, before the write's own revision.
            try store.put("e/next", "v")
            var events: [WatchEvent] = []
            try waitUntil(seconds: 5) {
                events += try watch.next(timeout: .milliseconds(500))
                return events.count >= 2
            }
            #expect(events.map(\.key) == ["e/k", "e/next"])
            guard case .delete = events.first else {
                Issue.record("expected the expired key's deletion first, got \(events)")
                return
            }
            #expect(events[0].revision < events[1].revision)
        }
    }

    @Test(arguments: Backend.allCases) func keepAliveHoldsTheKeys(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let lease = try store.grantLease(ttl: .seconds(2))
            try store.put("k", "v", lease: lease)
            let end = ContinuousClock.now.advanced(by: .seconds(4))
            while ContinuousClock.now < end {
                #expect(try store.keepAlive(lease) == .seconds(2))
                usleep(500_000)
                // A write ends expired leases on a local store: it must not end this one.
                try store.put("other", "v")
            }
            #expect(try store.get("k")?.string == "v")
            try store.revoke(lease)
            #expect(try store.get("k") == nil)
        }
    }

    @Test(arguments: Backend.allCases) func leasesAreSharedByConnections(_ backend: Backend) throws {
        try backend.withConnections { connect throws in
            let first = try connect(), second = try connect()
            let lease = try first.grantLease(ttl: .seconds(30))
            try second.put("k", "v", lease: lease)
            #expect(try second.keepAlive(lease) == .seconds(30))
            #expect(try first.revoke(lease))
            #expect(try second.get("k") == nil)
        }
    }
}

/// Polls `condition` until it holds, failing the test after `seconds`.
func waitUntil(seconds: Int, _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now.advanced(by: .seconds(seconds))
    while try !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("the condition did not hold within \(seconds) s")
            return
        }
        usleep(50_000)
    }
}
