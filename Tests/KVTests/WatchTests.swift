import Glibc
import KV
import KVEtcd
import Synchronization
import Testing

@Suite struct WatchTests {
    @Test(arguments: Backend.allCases) func replaysEverythingAfterTheRevisionInOrder(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            try store.put("b", "2")
            try store.update { tx throws in
                tx.put("c", "3")
                tx.put("a", "4")
            }
            try store.delete("b")

            let events = try store.watch(prefix: "", afterRevision: 1).next(timeout: .zero)
            #expect(events == [
                .put(KeyValue(key: "b", value: "2".bytes, createRevision: 2, modRevision: 2, version: 1)),
                .put(KeyValue(key: "c", value: "3".bytes, createRevision: 3, modRevision: 3, version: 1)),
                .put(KeyValue(key: "a", value: "4".bytes, createRevision: 1, modRevision: 3, version: 2)),
                .delete(key: "b", revision: 4),
            ])
        }
    }

    @Test(arguments: Backend.allCases) func deliversOnlyKeysUnderThePrefix(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("net/a", "1")
            try store.put("other", "1")
            try store.delete(prefix: "net/")
            let events = try store.watch(prefix: "net/", afterRevision: 0).next(timeout: .zero)
            #expect(events.map(\.key) == ["net/a", "net/a"])
            #expect(events.map(\.revision) == [1, 3])
        }
    }

    @Test(arguments: Backend.allCases) func continuesAfterTheLastDeliveredEvent(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let watch = try store.watch(prefix: "", afterRevision: 0)
            try store.put("a", "1")
            #expect(try watch.next(timeout: .zero).map(\.revision) == [1])
            try store.put("b", "1")
            try store.put("c", "1")
            #expect(try watch.next(timeout: .zero).map(\.revision) == [2, 3])
        }
    }

    @Test(arguments: Backend.allCases) func timesOutEmptyWhenIdle(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            let watch = try store.watch(prefix: "", afterRevision: 1)
            let clock = ContinuousClock()
            var events: [WatchEvent] = [.delete(key: "sentinel", revision: 0)]
            let elapsed = try clock.measure { events = try watch.next(timeout: .milliseconds(100)) }
            #expect(events == [])
            #expect(elapsed >= .milliseconds(100))
        }
    }

    /// One thread waits on a watch while another connection, as another process would, commits: the
    /// watch must wake on each commit rather than at its timeout.
    @Test(arguments: Backend.allCases) func wakesForCommitsFromAnotherConnection(_ backend: Backend) throws {
        try backend.withConnections { connect throws in
            try connect().put("before", "1")
            let received = Mutex<[WatchEvent]>([])
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                try onThreads(2) { thread throws in
                    let store = try connect()
                    if thread == 0 {
                        let watch = try store.watch(prefix: "w/", afterRevision: 1)
                        while received.withLock({ $0.count }) < 3 {
                            let events = try watch.next(timeout: .seconds(20))
                            guard !events.isEmpty else { return }
                            received.withLock { $0 += events }
                        }
                    } else {
                        // Give the watch time to start waiting; the checks below hold either way.
                        usleep(100_000)
                        for index in 1...3 {
                            try store.put("w/\(index)", "\(index)")
                        }
                    }
                }
            }
            #expect(received.withLock { $0.map(\.key) } == ["w/1", "w/2", "w/3"])
            #expect(received.withLock { $0.map(\.revision) } == [2, 3, 4])
            #expect(elapsed < .seconds(10))
        }
    }

    @Test(arguments: Backend.allCases) func compactedHistoryIsReported(_ backend: Backend) throws {
        try backend.withStore(historyLimit: 10) { store throws in
            for index in 1...30 {
                try store.put("k\(index)", "v")
            }
            // Each local backend keeps at least the last 10 revisions; at revisions 30 and 40 both have
            // pruned everything older (SQLite prunes every fifth of the limit, the memory store at once).
            // etcd compacts when told.
            if let etcd = store as? EtcdStore { try etcd.compact(before: 21) }
            #expect(throws: KVError.compacted(requested: 5, oldestAvailable: 21)) {
                try store.watch(prefix: "", afterRevision: 5)
            }
            let watch = try store.watch(prefix: "", afterRevision: 20)
            #expect(try watch.next(timeout: .zero).map(\.revision) == Array(21...30))

            // etcd streams events to a watch as they happen, so a watch is never overtaken by compaction.
            guard backend != .etcd else { return }
            let lagging = try store.watch(prefix: "", afterRevision: 25)
            for index in 31...40 {
                try store.put("k\(index)", "v")
            }
            #expect(throws: KVError.compacted(requested: 25, oldestAvailable: 31)) {
                try lagging.next(timeout: .zero)
            }
        }
    }

    @Test(arguments: Backend.allCases) func cancelledWatchReturnsNothing(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            let watch = try store.watch(prefix: "", afterRevision: 0)
            watch.cancel()
            watch.cancel()
            #expect(try watch.next(timeout: .seconds(5)) == [])
        }
    }

    @Test(arguments: Backend.allCases) func negativeStartIsRejected(_ backend: Backend) throws {
        try backend.withStore { store throws in
            #expect(throws: KVError.self) { try store.watch(prefix: "", afterRevision: -1) }
        }
    }
}
