import Glibc
import KV

/// The SQL behind the store's tables (see `SQLiteStoreFile`), one method per question or change. It keeps
/// no state of its own but the time it judges leases by: callers decide the transaction and the
/// revision a write belongs to.
///
/// Leases expire by the wall clock, since processes share the file and a host's restart must not
/// revive them: a key attached to a lease whose expiry is not after `now` reads as absent.
struct SQLiteKeyspace {
    let connection: SQLiteConnection
    /// The wall-clock time, in Unix milliseconds, that leases are judged at: fixed for one keyspace,
    /// so that one transaction sees one consistent set of live keys.
    let now: Int64

    init(connection: SQLiteConnection) {
        self.connection = connection
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        now = Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// The condition that keeps keys of ended leases out of reads, with `now` bound to `parameter`.
    private static func live(now parameter: String) -> String {
        "(lease = 0 OR EXISTS (SELECT 1 FROM lease WHERE id = kv.lease AND expiry > \(parameter)))"
    }

    /// The store-wide revision and the newest revision whose history is gone.
    func state() throws -> (revision: Int64, compacted: Int64) {
        try connection.query("SELECT revision, compacted FROM store") { ($0.integer(0), $0.integer(1)) }.first ?? (0, 0)
    }

    func get(_ key: String) throws -> KeyValue? {
        try connection.query(
            "SELECT value, create_revision, mod_revision, version FROM kv WHERE key = ?1 AND \(Self.live(now: "?2"))",
            .blob(bytes(of: key)), .integer(now)
        ) {
            KeyValue(key: key, value: $0.blob(0), createRevision: $0.integer(1), modRevision: $0.integer(2),
                     version: $0.integer(3))
        }.first
    }

    /// The keys under `prefix` after `after` (from the first when `nil`), in key order: at most
    /// `limit` of them, or all.
    func range(prefix: String, after: String? = nil, limit: Int? = nil) throws -> [KeyValue] {
        let bounds = KeyBounds(prefix: prefix)
        return try connection.query(
            """
            SELECT key, value, create_revision, mod_revision, version FROM kv
            WHERE key \(after == nil ? ">=" : ">") ?1 AND key < ?2 AND \(Self.live(now: "?3")) ORDER BY key LIMIT ?4
            """, .blob(after.map { Array($0.utf8) } ?? bounds.lower), .blob(bounds.upper), .integer(now),
            .integer(limit.map(Int64.init) ?? -1)
        ) {
            KeyValue(key: $0.string(0), value: $0.blob(1), createRevision: $0.integer(2), modRevision: $0.integer(3),
                     version: $0.integer(4))
        }
    }

    func modRevisions(prefix: String) throws -> [Int64] {
        let bounds = KeyBounds(prefix: prefix)
        return try connection.query(
            "SELECT mod_revision FROM kv WHERE key >= ?1 AND key < ?2 AND \(Self.live(now: "?3"))",
            .blob(bounds.lower), .blob(bounds.upper), .integer(now)
        ) { $0.integer(0) }
    }

    /// Writes `key` at `revision`, attached to `lease` (0: none); returns its create revision and
    /// version afterwards.
    func put(_ key: String, _ value: [UInt8], lease: Int64 = 0, at revision: Int64) throws -> (createRevision: Int64, version: Int64) {
        try connection.query(
            """
            INSERT INTO kv (key, value, create_revision, mod_revision, version, lease) VALUES (?1, ?2, ?3, ?3, 1, ?4)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision,
                version = version + 1, lease = excluded.lease
            RETURNING create_revision, version
            """, .blob(bytes(of: key)), .blob(value), .integer(revision), .integer(lease)
        ) { ($0.integer(0), $0.integer(1)) }[0]
    }

    // MARK: Leases

    /// Adds a lease of `ttl` seconds; `false` if the ID is taken.
    func grant(_ lease: Int64, ttl: Int64) throws -> Bool {
        try !connection.query(
            "INSERT INTO lease (id, ttl, expiry) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING RETURNING 1",
            .integer(lease), .integer(ttl), .integer(now + ttl * 1_000)
        ) { _ in () }.isEmpty
    }

    /// Starts a live lease's TTL afresh; returns the TTL in seconds, `nil` if the lease has ended.
    func keepAlive(_ lease: Int64) throws -> Int64? {
        try connection.query(
            "UPDATE lease SET expiry = ?2 + ttl * 1000 WHERE id = ?1 AND expiry > ?2 RETURNING ttl",
            .integer(lease), .integer(now)
        ) { $0.integer(0) }.first
    }

    /// A live lease's expiry in Unix milliseconds; `nil` if it has ended.
    func expiry(of lease: Int64) throws -> Int64? {
        try connection.query("SELECT expiry FROM lease WHERE id = ?1 AND expiry > ?2", .integer(lease), .integer(now)) {
            $0.integer(0)
        }.first
    }

    /// The leases that have expired but are still in the table, in ID order.
    func expiredLeases() throws -> [Int64] {
        try connection.query("SELECT id FROM lease WHERE expiry <= ?1 ORDER BY id", .integer(now)) { $0.integer(0) }
    }

    /// Removes the keys attached to `lease`; returns them in key order.
    func deleteKeys(of lease: Int64) throws -> [String] {
        // `lease != 0` as the partial index `kv_lease` says it, so that SQLite uses the index.
        let keys = try connection.query("DELETE FROM kv WHERE lease = ?1 AND lease != 0 RETURNING key", .integer(lease)) {
            $0.blob(0)
        }
        return keys.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Removes the lease itself; returns whether it was there.
    func deleteLease(_ lease: Int64) throws -> Bool {
        try !connection.query("DELETE FROM lease WHERE id = ?1 RETURNING 1", .integer(lease)) { _ in () }.isEmpty
    }

    /// Removes `key`; returns whether it existed.
    func delete(_ key: String) throws -> Bool {
        try !connection.query("DELETE FROM kv WHERE key = ?1 RETURNING 1", .blob(bytes(of: key))) { _ in () }.isEmpty
    }

    /// Removes every key under `prefix`; returns them in key order.
    func delete(prefix: String) throws -> [String] {
        let bounds = KeyBounds(prefix: prefix)
        let keys = try connection.query(
            "DELETE FROM kv WHERE key >= ?1 AND key < ?2 RETURNING key", .blob(bounds.lower), .blob(bounds.upper)
        ) { $0.blob(0) }
        return keys.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends a write to the history: the `sequence`th of `revision`; a `nil` value records a delete.
    func record(revision: Int64, sequence: Int64, key: String, value: [UInt8]?, createRevision: Int64,
                version: Int64) throws {
        try connection.execute(
            """
            INSERT INTO history (revision, seq, key, value, create_revision, version)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """,
            .integer(revision), .integer(sequence), .blob(Array(key.utf8)), value.map(SQLiteValue.blob) ?? .null,
            .integer(createRevision), .integer(version))
    }

    func setRevision(_ revision: Int64) throws {
        try connection.execute("UPDATE store SET revision = ?1", .integer(revision))
    }

    /// Drops the history at and below `revision`.
    func compact(through revision: Int64) throws {
        try connection.execute("DELETE FROM history WHERE revision <= ?1", .integer(revision))
        try connection.execute("UPDATE store SET compacted = ?1 WHERE compacted < ?1", .integer(revision))
    }

    /// The recorded writes under `prefix` after `revision`, oldest first.
    func events(prefix: String, after revision: Int64) throws -> [WatchEvent] {
        let bounds = KeyBounds(prefix: prefix)
        return try connection.query(
            """
            SELECT revision, key, value, create_revision, version FROM history
            WHERE revision > ?1 AND key >= ?2 AND key < ?3 ORDER BY revision, seq
            """, .integer(revision), .blob(bounds.lower), .blob(bounds.upper)
        ) {
            let key = $0.string(1)
            return $0.isNull(2)
                ? .delete(key: key, revision: $0.integer(0))
                : .put(KeyValue(key: key, value: $0.blob(2), createRevision: $0.integer(3), modRevision: $0.integer(0),
                                version: $0.integer(4)))
        }
    }
}

/// A key as stored; every single-key operation passes through here, so this is where empty keys stop.
private func bytes(of key: String) throws -> [UInt8] {
    guard !key.isEmpty else { throw KVError.emptyKey }
    return Array(key.utf8)
}

/// The keys under a prefix as the half-open byte range `lower ..< upper`.
///
/// Keys are valid UTF-8, which never contains the byte 0xFF, so raising the prefix's last byte by one
/// cannot overflow, and `[0xFF]` lies above every key when the prefix is empty.
private struct KeyBounds {
    let lower: [UInt8]
    let upper: [UInt8]

    init(prefix: String) {
        lower = Array(prefix.utf8)
        if let last = lower.last {
            upper = lower.dropLast() + [last + 1]
        } else {
            upper = [0xFF]
        }
    }
}
