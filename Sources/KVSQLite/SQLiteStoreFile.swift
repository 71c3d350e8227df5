import Glibc
import KV

/// A swift-cni store file: its layout, how it comes to exist, and how it is recognised and opened.
///
/// Tables:
/// - `store`: one row holding the store-wide `revision` and `compacted`, the newest revision whose
///   history has been pruned.
/// - `kv`: the current keys with their etcd metadata.
/// - `history`: every write after `compacted`, in order (`seq` orders the writes of one revision);
///   a NULL value is a delete. Watches read it.
/// - `lease` (version 2): each lease not yet ended, with its TTL in seconds and its expiry in Unix
///   milliseconds; `kv.lease` names the lease a key is attached to (0: none).
enum SQLiteStoreFile {
    /// "SCNI" in the file header, so that any other SQLite file is refused rather than written to.
    private static let applicationID: Int32 = 0x5343_4E49
    private static let version: Int32 = 2

    /// Version 1's tables; a new store is made as version 1 and upgraded at once, so that new and
    /// upgraded stores cannot differ.
    private static let definition = """
        PRAGMA application_id = \(applicationID);
        CREATE TABLE store (
            id INTEGER PRIMARY KEY CHECK (id = 0),
            revision INTEGER NOT NULL,
            compacted INTEGER NOT NULL
        );
        INSERT INTO store (id, revision, compacted) VALUES (0, 0, 0);
        CREATE TABLE kv (
            key BLOB PRIMARY KEY,
            value BLOB NOT NULL,
            create_revision INTEGER NOT NULL,
            mod_revision INTEGER NOT NULL,
            version INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE history (
            revision INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            key BLOB NOT NULL,
            value BLOB,
            create_revision INTEGER NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (revision, seq)
        ) WITHOUT ROWID;
        """

    /// Version 1 to 2: leases.
    private static let leases = """
        ALTER TABLE kv ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX kv_lease ON kv (lease) WHERE lease != 0;
        CREATE TABLE lease (
            id INTEGER PRIMARY KEY,
            ttl INTEGER NOT NULL,
            expiry INTEGER NOT NULL
        );
        CREATE INDEX lease_expiry ON lease (expiry);
        PRAGMA user_version = 2;
        """

    /// The most SQLite caches per connection, in KiB (64 pages).
    static let cacheKibibytes = 256

    /// Opens the store at `path` for reading and writing, creating it first if no file is there.
    ///
    /// Beyond SQLite's own opening work it costs one query of the header, since every plugin process
    /// runs it. Note that recent commits live in the `-wal` file next to it (see
    /// `SQLiteConnection.keepWALAcrossProcesses`): the store is the two files together.
    static func open(_ path: String) throws -> SQLiteConnection {
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, create: false)
        } catch KVError.unavailable where access(path, F_OK) != 0 && errno == ENOENT {
            try createIfMissing(at: path)
            connection = try SQLiteConnection(path: path, create: false)
        }
        let storeVersion = try verify(connection)
        guard !connection.isReadOnly else {
            throw KVError.unavailable("\(path) is read-only")
        }
        if storeVersion < version { try upgrade(connection) }
        // A commit then waits for no fsync; WAL mode keeps the file consistent after a crash, and only
        // the last moments of commits can be lost on power failure.
        try connection.execute("PRAGMA synchronous = NORMAL")
        // SQLite's own page cache, 2 MB by default, holds copies of pages the kernel's page cache has
        // anyway: a plugin's transaction reads a few dozen pages, but a daemon that reads every key
        // at start would keep a copy of most of the file for as long as it runs.
        try connection.execute("PRAGMA cache_size = -\(cacheKibibytes)")
        connection.keepWALAcrossProcesses()
        return connection
    }

    /// Brings a version 1 store to version 2, once: whichever process gets the write lock first
    /// upgrades it, and the others find it done.
    private static func upgrade(_ connection: SQLiteConnection) throws {
        try connection.transaction(.immediate) {
            if try userVersion(connection) == 1 { try connection.executeScript(leases) }
        }
    }

    private static func userVersion(_ connection: SQLiteConnection) throws -> Int32? {
        try connection.query("PRAGMA user_version") { Int32(truncatingIfNeeded: $0.integer(0)) }.first
    }

    /// Throws unless the open file is a store this build can use (this version or the one before,
    /// which `upgrade` brings up); returns its version. Reads only the header, so that a foreign file
    /// is left exactly as it was.
    @discardableResult
    private static func verify(_ connection: SQLiteConnection) throws -> Int32 {
        // Two pragmas rather than one SELECT joining their table-valued forms, which SQLite has to
        // set up as virtual tables and plan: a seventh of a bridge ADD's instructions.
        let header = { (pragma: String) in
            try connection.query("PRAGMA \(pragma)") { Int32(truncatingIfNeeded: $0.integer(0)) }.first
        }
        let storeApplicationID = try header("application_id")
        guard storeApplicationID == applicationID else {
            let found = storeApplicationID.map { "0x" + String(UInt32(bitPattern: $0), radix: 16) } ?? "none"
            throw KVError.corrupt(location: connection.path, detail: "SQLite application_id is \(found), not swift-cni's")
        }
        let storeVersion = try header("user_version") ?? 0
        guard storeVersion == version || storeVersion == version - 1 else {
            throw KVError.unavailable("\(connection.path) has store schema version \(storeVersion); "
                                      + "this build reads versions \(version - 1) and \(version)")
        }
        return storeVersion
    }

    /// The longest path a store can have, in bytes. SQLite's unix VFS opens paths of up to 512 bytes
    /// with room for "-journal" after them, and `createIfMissing` builds the store under its path
    /// plus ".new-<pid>-<random>" (a pid has at most 7 digits, a `UInt32` 10).
    static let maximumPathLength = 512 - "-journal".utf8.count - ".new-4194304-4294967295".utf8.count

    /// Creates a store at `path` unless a file is already there, making missing parent directories
    /// (mode 0700, since leases name every container).
    ///
    /// The store is built completely under a temporary name and then hard-linked into place, so `path`
    /// never holds a half-made store: whatever is found there can be judged on its header alone, and a
    /// process losing a creation race simply opens the winner's file.
    private static func createIfMissing(at path: String) throws {
        try makeParentDirectories(of: path)
        let scratch = "\(path).new-\(getpid())-\(UInt32.random(in: .min ... .max))"
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(scratch + suffix) }
        }
        do {
            try build(at: scratch)
        } catch KVError.unavailable(let detail) {
            throw KVError.unavailable("cannot create \(path): \(detail)")
        }
        guard link(scratch, path) == 0 || errno == EEXIST else {
            throw KVError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Builds a complete store; returning closes the connection, folding the WAL into the file.
    private static func build(at path: String) throws {
        let connection = try SQLiteConnection(path: path, create: true)
        try connection.executeScript("PRAGMA journal_mode = WAL; BEGIN; \(definition) PRAGMA user_version = 1; \(leases) COMMIT;")
    }

    private static func makeParentDirectories(of path: String) throws {
        var parent = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (index, component) in components.enumerated() {
            parent += (index == 0 ? "" : "/") + component
            guard !parent.isEmpty, mkdir(parent, 0o700) != 0, errno != EEXIST else { continue }
            throw KVError.unavailable("cannot create directory \(parent): \(String(cString: strerror(errno)))")
        }
    }
}
