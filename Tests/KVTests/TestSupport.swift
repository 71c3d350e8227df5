import Foundation
import KV
import Synchronization

/// Runs `body` with a fresh directory that is removed afterwards, whatever happens.
@discardableResult
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.path + "/kvtests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Runs `body` with a new store in a fresh directory; the store's path is `directory + "/store.db"`.
@discardableResult
func withStore<T>(historyLimit: Int64 = SQLiteStore.defaultHistoryLimit, _ body: (SQLiteStore) throws -> T) throws -> T {
    try withTemporaryDirectory { directory throws in
        try body(SQLiteStore(path: directory + "/store.db", historyLimit: historyLimit))
    }
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
