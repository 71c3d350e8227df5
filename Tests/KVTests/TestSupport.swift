import Foundation
import KV
import KVEtcd
import KVMemory
import KVSQLite
import Synchronization

/// The backends the protocol suites run against: what they check is the protocol's, so it holds for
/// every one. etcd is left out, with a message, where no etcd binary is installed.
enum Backend: CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case memory
    case etcd

    static var allCases: [Backend] { EtcdServer.isAvailable ? [.sqlite, .memory, .etcd] : [.sqlite, .memory] }

    var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .memory: "memory"
        case .etcd: "etcd"
        }
    }

    /// Runs `body` with a new, empty store, removed afterwards.
    @discardableResult
    func withStore<T>(historyLimit: Int64 = 5_000, _ body: (any KeyValueStore) throws -> T) throws -> T {
        try withConnections(historyLimit: historyLimit) { connect throws in try body(connect()) }
    }

    /// Runs `body` with a way to reach one new, empty store, removed afterwards: each call gives a
    /// connection of its own to it, as another thread or process would hold (SQLite opens the file
    /// again; a memory store is shared by sharing it).
    @discardableResult
    func withConnections<T>(historyLimit: Int64 = 5_000,
                            _ body: (@escaping @Sendable () throws -> any KeyValueStore) throws -> T) throws -> T {
        switch self {
        case .sqlite:
            return try withTemporaryDirectory { directory throws in
                let path = directory + "/store.db"
                return try body { try SQLiteStore(path: path, historyLimit: historyLimit) }
            }
        case .memory:
            return try body { [store = MemoryStore(historyLimit: historyLimit)] in store }
        case .etcd:
            // etcd keeps history until compacted, whatever `historyLimit` says.
            let server = try EtcdServer()
            defer { server.stop() }
            return try body { try server.store() }
        }
    }
}

/// Runs `body` with a fresh directory that is removed afterwards, whatever happens.
@discardableResult
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.path + "/kvtests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Runs `body(index)` on `count` threads at once and waits for all; rethrows the first error.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    let failures = Mutex<[any Error]>([])
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            do { try body(index) } catch { failures.withLock { $0.append(error) } }
        }
    }
    group.wait()
    if let failure = failures.withLock({ $0.first }) { throw failure }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

struct Interrupted: Error {}
