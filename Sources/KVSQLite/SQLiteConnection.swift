import CSQLite
import Glibc
import KV

/// A value bound to a statement parameter. Keys travel as blobs, so that key order and prefix bounds
/// are plain byte comparisons, as in etcd.
enum SQLiteValue {
    case integer(Int64)
    case blob([UInt8])
    case null
}

/// One open SQLite database handle and the statements prepared on it.
///
/// Not thread-safe (it is opened without SQLite's own mutex): a connection belongs to one store or one
/// watch. Every failure is reported as a `KVError` naming the file.
final class SQLiteConnection {
    enum TransactionMode {
        /// Takes a read snapshot at the first read; for consistent multi-statement reads.
        case deferred
        /// Takes the database's single write lock up front, waiting for other writers.
        case immediate
    }

    /// How long a writer waits for another connection's write lock before giving up.
    static let busyTimeoutMicroseconds: Int32 = 10_000_000
    private static let busyNapMicroseconds: Int32 = 250
    /// See `keepWALAcrossProcesses`; a plugin's update adds a handful of frames (pages).
    private static let walFrameLimit: Int32 = 64

    let path: String
    private let handle: OpaquePointer
    /// When the current wait for another connection's write lock gives up, in monotonic nanoseconds.
    private var busyDeadline: UInt64 = 0
    /// Prepared lazily on first use and kept for the life of the connection.
    private var statements: [String: OpaquePointer] = [:]

    /// SQLite's process-wide set-up, run once before the first connection opens.
    private static let configured: Void = { _ = csqlite_disable_memory_statistics() }()

    /// Opens an existing database file, or creates an empty one when `create` is set.
    init(path: String, create: Bool) throws {
        Self.configured
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0)
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else {
            throw KVError.unavailable("cannot open \(path): out of memory")
        }
        guard code == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(handle))
            sqlite3_close_v2(handle)
            throw Self.error(code: code, message: message, path: path)
        }
        self.path = path
        self.handle = handle
        // SQLite's own busy timeout naps for up to 100 ms at a time, leaving the lock idle long after a
        // short plugin transaction released it; short, even naps hand it over almost at once.
        sqlite3_busy_handler(handle, { context, attempts in
            Unmanaged<SQLiteConnection>.fromOpaque(context!).takeUnretainedValue().napForLock(attempt: attempts)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The busy handler: 1 after a nap, 0 once `busyTimeoutMicroseconds` have passed since the wait
    /// began. Measured on the clock, as naps oversleep: 40,000 of 250 µs took 14 s, not 10.
    private func napForLock(attempt: Int32) -> Int32 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        if attempt == 0 { busyDeadline = nanoseconds + UInt64(Self.busyTimeoutMicroseconds) * 1_000 }
        guard nanoseconds < busyDeadline else { return 0 }
        usleep(UInt32(min(UInt64(Self.busyNapMicroseconds), (busyDeadline - nanoseconds + 999) / 1_000)))
        return 1
    }

    /// Tunes the connection for many short-lived processes sharing one WAL-mode file.
    ///
    /// By default the last connection to close checkpoints (two fsyncs) and deletes the WAL, and the
    /// next process recreates it (another two, one of them for the directory): most of a plugin's cost.
    /// Instead, closing leaves the WAL for the next process, and the commit that takes it past
    /// `walFrameLimit` frames checkpoints and truncates it. That limit also bounds the work of the
    /// first connection of each process, which SQLite makes re-read the whole WAL to rebuild its index.
    /// (SQLite's auto-checkpoint would not do: that rebuilt index marks nothing as checkpointed, so a
    /// WAL that is checkpointed but never truncated grows forever when no connection outlives the rest.)
    func keepWALAcrossProcesses() {
        csqlite_db_config_flag(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1)
        sqlite3_wal_hook(handle, { _, handle, schema, frames in
            if frames >= SQLiteConnection.walFrameLimit {
                // Waits, through the busy handler, for other connections' transactions; should it
                // still fail, a later commit tries again. The commit itself has already happened.
                sqlite3_wal_checkpoint_v2(handle, schema, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
            }
            return SQLITE_OK
        }, nil)
    }

    deinit {
        for statement in statements.values {
            sqlite3_finalize(statement)
        }
        sqlite3_close_v2(handle)
    }

    /// Whether SQLite opened the file read-only (it does so silently when the file is write-protected).
    var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    /// Runs a statement to completion.
    func execute(_ sql: String, _ values: SQLiteValue...) throws {
        try run(sql, values) { _ in }
    }

    /// Runs a statement and maps each row it returns.
    func query<Row>(_ sql: String, _ values: SQLiteValue..., row: (SQLiteRow) throws -> Row) throws -> [Row] {
        var rows: [Row] = []
        try run(sql, values) { rows.append(try row($0)) }
        return rows
    }

    /// Runs several semicolon-separated statements without caching them (for one-off schema work).
    func executeScript(_ sql: String) throws {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Runs `body` in a transaction, committing if it returns and rolling back if it throws.
    func transaction<T>(_ mode: TransactionMode, _ body: () throws -> T) throws -> T {
        try execute(mode == .immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            // A failed COMMIT may already have ended the transaction; the original error matters more.
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func run(_ sql: String, _ values: [SQLiteValue], row: (SQLiteRow) throws -> Void) throws {
        let statement = try prepared(sql)
        // Resetting ends the statement's implicit read transaction even when a row callback throws.
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in values.enumerated() {
            try bind(value, to: Int32(index + 1), of: statement)
        }
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: try row(SQLiteRow(statement: statement))
            case SQLITE_DONE: return
            case let code: throw error(code)
            }
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteValue, to index: Int32, of statement: OpaquePointer) throws {
        let code: Int32 = switch value {
        case .integer(let integer):
            sqlite3_bind_int64(statement, index, integer)
        case .blob(let bytes) where bytes.isEmpty:
            // A zero-length blob bound from a buffer would read back as NULL.
            sqlite3_bind_zeroblob(statement, index, 0)
        case .blob(let bytes):
            bytes.withUnsafeBytes {
                sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), csqlite_transient())
            }
        case .null:
            sqlite3_bind_null(statement, index)
        }
        guard code == SQLITE_OK else { throw error(code) }
    }

    private func error(_ code: Int32) -> KVError {
        Self.error(code: code, message: String(cString: sqlite3_errmsg(handle)), path: path)
    }

    private static func error(code: Int32, message: String, path: String) -> KVError {
        switch code & 0xFF {
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            .corrupt(location: path, detail: message)
        case SQLITE_BUSY, SQLITE_LOCKED:
            .contention("\(path) stayed locked by another writer for over \(busyTimeoutMicroseconds / 1_000_000) s")
        default:
            .unavailable("\(path): \(message)")
        }
    }
}

/// The current row of a statement being stepped; valid only inside the row callback.
struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func blob(_ column: Int32) -> [UInt8] {
        // SQLite's documented order: the pointer first, then its length.
        guard let bytes = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))))
    }

    /// A blob column holding UTF-8, such as a key.
    func string(_ column: Int32) -> String { String(decoding: blob(column), as: UTF8.self) }
}
