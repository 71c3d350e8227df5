import CSQLite
import Foundation
import KV
import KVSQLite
import Synchronization
import Testing

/// What the SQLite backend adds to the protocol: a file that outlives its connections, is made and
/// recognised safely, and stays small across short-lived processes.
@Suite struct SQLiteStoreFileTests {
    @Test func contentsSurviveReopening() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/store.db"
            try SQLiteStore(path: path).put("a", "1")
            try SQLiteStore(path: path).put("b", "2")
            let store = try SQLiteStore(path: path)
            #expect(try store.revision() == 2)
            #expect(try store.range(prefix: "").kvs.map(\.string) == ["1", "2"])
        }
    }

    @Test func createsTheFileAndPrivateParentDirectories() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/state/kv/store.db"
            let store = try SQLiteStore(path: path)
            #expect(try store.revision() == 0)
            for created in [directory + "/state", directory + "/state/kv"] {
                let mode = try FileManager.default.attributesOfItem(atPath: created)[.posixPermissions] as? Int
                #expect(mode == 0o700, "\(created)")
            }
            // Nothing is left over from building the file aside.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory + "/state/kv")
                .filter { $0.contains(".new-") }
            #expect(leftovers == [])
        }
    }

    @Test func racingCreatorsShareOneStore() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/store.db"
            try onThreads(8) { thread throws in
                try SQLiteStore(path: path).put("creator/\(thread)", "here")
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.range(prefix: "creator/").kvs.count == 8)
            #expect(try store.revision() == 8)
        }
    }

    /// Each plugin process opens the store, writes once and exits; the WAL they leave behind must stay
    /// small, since every new process re-reads it.
    @Test func walStaysBoundedAcrossShortLivedConnections() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/store.db"
            var largestWAL = 0
            for index in 0..<300 {
                try SQLiteStore(path: path).update { tx in
                    tx.put("lease/\(index)", "owner")
                    tx.put("owner/\(index)", "lease")
                    tx.put("last", "\(index)")
                }
                let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0
                largestWAL = max(largestWAL, size)
            }
            #expect(largestWAL < 100 * (4096 + 24))
            #expect(try SQLiteStore(path: path).range(prefix: "lease/").kvs.count == 300)
        }
    }

    @Test func nonDatabaseFileIsCorruptAndLeftUntouched() throws {
        try expectRefusedAndUntouched(Array(String(repeating: "not a database, just text\n", count: 400).utf8))
    }

    @Test func emptyFileIsCorruptAndLeftUntouched() throws {
        try expectRefusedAndUntouched([])
    }

    @Test func foreignSQLiteDatabaseIsCorruptAndLeftUntouched() throws {
        try withTemporaryDirectory { directory throws in
            let foreign = directory + "/foreign.db"
            try runSQL(on: foreign, "CREATE TABLE t (x); INSERT INTO t VALUES ('precious');")
            try expectRefusedAndUntouched(FileManager.default.contents(atPath: foreign).map(Array.init) ?? [])
        }
    }

    @Test func storeFromANewerSchemaIsUnavailable() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/store.db"
            try SQLiteStore(path: path).put("a", "1")
            try runSQL(on: path, "PRAGMA user_version = 99;")
            let error = #expect(throws: KVError.self) { try SQLiteStore(path: path) }
            guard case .unavailable(let message) = error else {
                Issue.record("expected .unavailable, got \(String(describing: error))")
                return
            }
            #expect(message.contains("version 99"))
        }
    }

    @Test func aVersionOneStoreIsUpgradedKeepingItsKeys() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/store.db"
            try runSQL(on: path, """
                PRAGMA journal_mode = WAL; PRAGMA application_id = \(0x5343_4E49); PRAGMA user_version = 1;
                CREATE TABLE store (id INTEGER PRIMARY KEY CHECK (id = 0), revision INTEGER NOT NULL, compacted INTEGER NOT NULL);
                INSERT INTO store (id, revision, compacted) VALUES (0, 1, 0);
                CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, create_revision INTEGER NOT NULL,
                                 mod_revision INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE history (revision INTEGER NOT NULL, seq INTEGER NOT NULL, key BLOB NOT NULL, value BLOB,
                                      create_revision INTEGER NOT NULL, version INTEGER NOT NULL,
                                      PRIMARY KEY (revision, seq)) WITHOUT ROWID;
                INSERT INTO kv VALUES (CAST('a' AS BLOB), CAST('1' AS BLOB), 1, 1, 1);
                """)
            let store = try SQLiteStore(path: path)
            #expect(try store.get("a") == KeyValue(key: "a", value: "1".bytes, createRevision: 1, modRevision: 1, version: 1))
            let lease = try store.grantLease(ttl: .seconds(30))
            #expect(try store.put("b", "2", lease: lease) == 2)
            #expect(try store.revoke(lease))
            #expect(try SQLiteStore(path: path).range(prefix: "").kvs.map(\.key) == ["a"])
        }
    }

    @Test func unwritableLocationIsUnavailable() throws {
        try withTemporaryDirectory { directory throws in
            let blocker = directory + "/file"
            #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
            let error = #expect(throws: KVError.self) { try SQLiteStore(path: blocker + "/store.db") }
            guard case .unavailable(let message) = error else {
                Issue.record("expected .unavailable, got \(String(describing: error))")
                return
            }
            #expect(message.contains(blocker))
        }
    }

    /// Puts `contents` where the store should be, expects `KVError.corrupt` naming it, and checks that
    /// the file and its directory are exactly as before.
    private func expectRefusedAndUntouched(_ contents: [UInt8]) throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/store.db"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(contents)))
            let error = #expect(throws: KVError.self) { try SQLiteStore(path: path) }
            guard case .corrupt(let reported, let detail) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            #expect(reported == path)
            #expect(!detail.isEmpty)
            #expect(FileManager.default.contents(atPath: path) == Data(contents))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["store.db"])
        }
    }
}

/// Runs SQL on a file through SQLite directly, as another program would.
private func runSQL(on path: String, _ sql: String) throws {
    var handle: OpaquePointer?
    defer { sqlite3_close(handle) }
    guard sqlite3_open(path, &handle) == SQLITE_OK, sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else {
        throw KVError.unavailable(String(cString: sqlite3_errmsg(handle)))
    }
}
