import Addressing
import CNI
import Foundation
import KV
import Testing
@testable import IPAM

/// The `ipam` section of a network config, as bytes, with `dataDir` spliced in raw.
private func networkConfig(dataDir: [UInt8]) -> [UInt8] {
    Array(#"{"ipam":{"type":"kv-ipam","subnet":"10.250.1.0/24","dataDir":""#.utf8) + dataDir + Array(#""}}"#.utf8)
}

/// The message of the `IPAMError.invalidConfig` that `body` throws, or `nil` if it throws another
/// error or none.
private func invalidConfigMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
    } catch IPAMError.invalidConfig(let text) {
        return text
    } catch {
        return nil
    }
    return nil
}

@Suite struct DataDirectoryTests {
    @Test func invalidUTF8IsRefusedRatherThanReadAsAnotherPath() {
        let message = invalidConfigMessage {
            _ = try IPAMConfig.decode(networkConfig: networkConfig(dataDir: Array("/tmp/a".utf8) + [0xFF, 0xFE]))
        }
        #expect(message?.hasSuffix("is not valid UTF-8 (or contains U+FFFD, which stands for invalid UTF-8)") == true)
    }

    @Test func aNULIsRefused() {
        let message = invalidConfigMessage {
            _ = try IPAMConfig.decode(networkConfig: networkConfig(dataDir: Array(#"/tmp/a\u0000b"#.utf8)))
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
        _ = try IPAMService(networkConfig: networkConfig(dataDir: Array(longest.utf8)), network: net)

        let message = invalidConfigMessage {
            _ = try IPAMConfig.decode(networkConfig: networkConfig(dataDir: Array((longest + "e").utf8)))
        }
        #expect(message?.hasSuffix("is \(limit + 1) bytes long; the store inside it needs a dataDir of at most \(limit)") == true)
    }

    @Test func aFileOrAPseudoFileSystemIsALastingProblem() throws {
        let temp = try TemporaryStore()
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
        let temp = try TemporaryStore()
        let file = "\(temp.directory)/file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let dataDir = place.hasPrefix("/") ? place : "\(temp.directory)/\(place)"
        let message = invalidConfigMessage {
            _ = try IPAMService(networkConfig: networkConfig(dataDir: Array(dataDir.utf8)), network: net)
        }
        #expect(message?.hasPrefix("dataDir \"\(dataDir)\" ") == true, "\(message ?? "no invalidConfig")")
    }
}
