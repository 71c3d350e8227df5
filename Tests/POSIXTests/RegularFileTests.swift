import Foundation
import Glibc
import POSIX
import Synchronization
import Testing

/// Each test gets its own scratch directory, removed with the suite instance.
@Suite final class RegularFileTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-cni-posix-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func file(_ name: String, _ contents: [UInt8]) throws -> String {
        let path = "\(directory)/\(name)"
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aRegularFileIsReadWhole() throws {
        let contents = Array("nameserver 192.0.2.53\n".utf8)
        #expect(try RegularFile.contents(atPath: file("resolv.conf", contents), limit: contents.count) == contents)
        #expect(try RegularFile.contents(atPath: file("empty", []), limit: 0) == [])
    }

    @Test func aFileOverTheLimitIsRefused() throws {
        let path = try file("big", [UInt8](repeating: 0x20, count: 64 * 1024 + 1))
        #expect(throws: FileReadError(path: path, problem: .tooLarge(limit: 64 * 1024))) {
            try RegularFile.contents(atPath: path, limit: 64 * 1024)
        }
    }

    /// `/proc` files report no size: the limit holds on what is read.
    @Test func aFileReportingNoSizeIsStillLimited() throws {
        #expect(throws: FileReadError(path: "/proc/self/maps", problem: .tooLarge(limit: 8))) {
            try RegularFile.contents(atPath: "/proc/self/maps", limit: 8)
        }
    }

    @Test func devicesAndDirectoriesAreRefused() throws {
        #expect(throws: FileReadError(path: "/dev/zero", problem: .notRegularFile(.characterDevice))) {
            try RegularFile.contents(atPath: "/dev/zero", limit: 64 * 1024)
        }
        #expect(throws: FileReadError(path: directory, problem: .notRegularFile(.directory))) {
            try RegularFile.contents(atPath: directory, limit: 64 * 1024)
        }
        #expect(throws: FileReadError(path: "\(directory)/missing", problem: .system(Errno(ENOENT)))) {
            try RegularFile.contents(atPath: "\(directory)/missing", limit: 64 * 1024)
        }
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let fifo = "\(directory)/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Thread {
            outcome.value.withLock { $0 = Result { () throws(FileReadError) in try RegularFile.contents(atPath: fifo, limit: 64) } }
            done.signal()
        }.start()
        if done.wait(timeout: .now() + 5) == .timedOut {
            // A writer completes the reader's blocked open, and closing it ends the read.
            close(open(fifo, O_WRONLY | O_NONBLOCK))
            done.wait()
            Issue.record("reading a FIFO blocked")
        }
        #expect(outcome.value.withLock { $0 } == .failure(FileReadError(path: fifo, problem: .notRegularFile(.fifo))))
    }

    @Test func theErrorNamesThePathAndTheProblem() {
        #expect(FileReadError(path: "/dev/zero", problem: .notRegularFile(.characterDevice)).description
            == "/dev/zero is a character device, not a regular file")
        #expect(FileReadError(path: "/etc/big", problem: .tooLarge(limit: 65536)).description
            == "/etc/big is larger than the 65536 bytes accepted")
        #expect(FileReadError(path: "/x", problem: .system(Errno(ENOENT))).description == "/x: No such file or directory")
    }
}

/// What the reading thread got, handed to the test.
private final class Outcome: Sendable {
    let value = Mutex<Result<[UInt8], FileReadError>?>(nil)
}
