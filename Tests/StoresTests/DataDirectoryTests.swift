import Foundation
import JSON
import KVSQLite
import Testing
@testable import Stores

/// The store's keys as a configuration holds them, as bytes, with `dataDir` spliced in raw.
private func storeKeys(dataDir: [UInt8]) -> [UInt8] {
    Array(#"{"dataDir":""#.utf8) + dataDir + Array(#""}"#.utf8)
}

private func configuration(dataDir: [UInt8]) throws -> StoreConfiguration {
    try JSONCodec.decode(StoreConfiguration.self, from: storeKeys(dataDir: dataDir))
}

/// The message of the `StoreConfigurationError` that `body` throws, or `nil` if it throws another
/// error or none.
private func invalidConfigMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
    } catch let error as StoreConfigurationError {
        return error.description
    } catch {
        return nil
    }
    return nil
}

/// A scratch directory, removed when the value goes.
private final class TemporaryDirectory {
    let directory = FileManager.default.temporaryDirectory.path + "/stores-\(UUID().uuidString.prefix(8))"
    init() throws { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite struct DataDirectoryTests {
    @Test func invalidUTF8IsRefusedRatherThanReadAsAnotherPath() {
        let message = invalidConfigMessage {
            _ = try configuration(dataDir: Array("/tmp/a".utf8) + [0xFF, 0xFE])
        }
        #expect(message?.hasSuffix("is not valid UTF-8 (or contains U+FFFD, which stands for invalid UTF-8)") == true)
    }

    @Test func aNULIsRefused() {
        let message = invalidConfigMessage {
            _ = try configuration(dataDir: Array(#"/tmp/a\u0000b"#.utf8))
        }
        #expect(message == "dataDir \"/tmp/a\0b\" contains a NUL byte")
    }

    @Test func aComponentLongerThanAFileNameIsRefused() {
        let path = "/tmp/" + String(repeating: "x", count: 256)
        #expect(DataDirectory.problem(with: path) == "has a component of 256 bytes; a file name has at most 255")
        #expect(DataDirectory.problem(with: "/tmp/" + String(repeating: "x", count: 255)) == nil)
    }

    @Test func theLongestDataDirHoldsAStoreAndOneByteMoreIsRefused() throws {
        let root = FileManager.default.temporaryDirectory.path + "/ipam-long-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let limit = SQLiteStore.maximumPathLength - "/store.db".utf8.count
        var longest = root
        while longest.utf8.count < limit {
            longest += "/" + String(repeating: "d", count: min(200, limit - longest.utf8.count - 1))
        }
        #expect(longest.utf8.count == limit)
        #expect(DataDirectory.problem(with: longest) == nil)
        _ = try openStore(configuration(dataDir: Array(longest.utf8)))

        let message = invalidConfigMessage {
            _ = try configuration(dataDir: Array((longest + "e").utf8))
        }
        #expect(message?.hasSuffix("is \(limit + 1) bytes long; the store inside it needs a dataDir of at most \(limit)") == true)
    }

    @Test func aFileOrAPseudoFileSystemIsALastingProblem() throws {
        let temp = try TemporaryDirectory()
        let file = "\(temp.directory)/file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        #expect(DataDirectory.lastingProblem(at: file) == "is a regular file, not a directory")
        #expect(DataDirectory.lastingProblem(at: file + "/") == "is a regular file, not a directory")
        #expect(DataDirectory.lastingProblem(at: file + "/sub")
            == "cannot be created: \(file) is a regular file, not a directory")
        #expect(DataDirectory.lastingProblem(at: "/proc/swift-cni") == "is under /proc, which cannot hold a store")
        #expect(DataDirectory.lastingProblem(at: "/proc/self/fd") == "is under /proc, which cannot hold a store")
        #expect(DataDirectory.lastingProblem(at: "/sys/fs/cgroup/x") == "is under /sys, which cannot hold a store")
        let link = "\(temp.directory)/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/proc/self")
        #expect(DataDirectory.lastingProblem(at: link + "/sub") == "is under /proc, which cannot hold a store")
        #expect(DataDirectory.lastingProblem(at: temp.directory) == nil)
        #expect(DataDirectory.lastingProblem(at: "\(temp.directory)/missing/deeper") == nil)
    }

    @Test(arguments: ["file", "file/sub", "/proc/swift-cni", "/sys/swift-cni"])
    func aStoreThatCanNeverOpenThereIsAnInvalidConfigNamingDataDir(place: String) throws {
        let temp = try TemporaryDirectory()
        let file = "\(temp.directory)/file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let dataDir = place.hasPrefix("/") ? place : "\(temp.directory)/\(place)"
        let message = invalidConfigMessage {
            _ = try openStore(configuration(dataDir: Array(dataDir.utf8)))
        }
        #expect(message?.hasPrefix("dataDir \"\(dataDir)\" ") == true, "\(message ?? "no invalidConfig")")
    }
}
