import Glibc
import KV

/// How a watcher learns, without polling, that some connection — in this process or another — committed
/// to a store file.
///
/// Writers touch the main database file's timestamps after each committing write (`post`), and
/// watchers wait for the resulting inotify `IN_ATTRIB`. Watching the `-wal` file for `IN_MODIFY` instead
/// would wake a watcher while SQLite is still between writing the frames and publishing them in the
/// shared index, where a re-read could miss the commit; the touch happens only once it is visible.
final class CommitSignal {
    private var descriptor: Int32

    /// Tells watchers of `path` that a commit is visible. Best effort: a watcher that misses it still
    /// re-reads when its timeout ends.
    static func post(path: String) {
        _ = utimensat(AT_FDCWD, path, nil, 0)
    }

    init(watching path: String) throws {
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else {
            throw KVError.unavailable("cannot watch \(path): inotify_init1: \(String(cString: strerror(errno)))")
        }
        guard inotify_add_watch(descriptor, path, UInt32(IN_ATTRIB)) >= 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw KVError.unavailable("cannot watch \(path): \(reason)")
        }
    }

    deinit {
        close()
    }

    /// Waits up to `timeout` for a commit, then consumes every signal that has arrived, so that one
    /// wake-up covers a burst of commits.
    func wait(for timeout: Duration) throws {
        guard descriptor >= 0 else { return }
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, Self.milliseconds(rounding: timeout)) >= 0 || errno == EINTR else {
            throw KVError.unavailable("waiting for store changes failed: \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(descriptor, &buffer, buffer.count) > 0 {}
    }

    /// Stops watching. Idempotent.
    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Rounds up, so a wait never ends before its timeout; poll takes at most Int32.max ms.
    private static func milliseconds(rounding duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(0, milliseconds))
    }
}
