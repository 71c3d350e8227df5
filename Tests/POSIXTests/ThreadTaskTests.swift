import Glibc
import POSIX
import Testing

@Suite struct ThreadTaskTests {
    struct Refusal: Error, Equatable {}

    @Test func waitReturnsWhatTheBodyReturnedEveryTime() throws {
        let task = try ThreadTask { 6 * 7 }
        #expect(try task.wait() == 42)
        #expect(try task.wait() == 42)
    }

    @Test func waitRethrowsWhatTheBodyThrew() throws {
        let task = try ThreadTask { () throws -> Int in throw Refusal() }
        #expect(throws: Refusal.self) { try task.wait() }
    }

    /// The body runs while the caller goes on: it blocks on a pipe that only the caller writes to
    /// after the task started.
    @Test func theBodyRunsBesideTheCaller() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let reader = ends[0]
        let task = try ThreadTask { () -> UInt8 in
            var byte: UInt8 = 0
            return read(reader, &byte, 1) == 1 ? byte : 0
        }
        var byte: UInt8 = 7
        #expect(write(ends[1], &byte, 1) == 1)
        #expect(try task.wait() == 7)
    }

    /// Each thread has its own thread ID: the body does not run on the caller's thread.
    @Test func theBodyRunsOnAnotherThread() throws {
        let caller = gettid()
        #expect(try ThreadTask { gettid() }.wait() != caller)
    }
}
