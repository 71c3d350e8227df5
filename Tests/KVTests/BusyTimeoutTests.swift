import CSQLite
import Foundation
import KV
import KVSQLite
import Testing

@Suite struct BusyTimeoutTests {
    /// A writer facing a write lock that another program holds gives up after the time its error
    /// states, not after however long its naps add up to.
    @Test func aWriterWaitsAsLongAsItsMessageSaysAndNoLonger() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: "\(directory)/store.db")
            var holder: OpaquePointer?
            defer { sqlite3_close(holder) }
            try #require(sqlite3_open(store.path, &holder) == SQLITE_OK)
            try #require(sqlite3_exec(holder, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)

            let clock = SuspendingClock()
            let start = clock.now
            #expect(throws: KVError.contention("\(store.path) stayed locked by another writer for over 10 s")) {
                try store.put("key", "value")
            }
            let waited = clock.now - start
            #expect(waited >= .seconds(10) && waited < .milliseconds(10_500), "waited \(waited)")
        }
    }
}
