import Glibc

/// A pipe whose ends we close as soon as we are done with them; -1 marks a closed end.
final class Pipe {
    private(set) var reader: Int32
    private(set) var writer: Int32

    init() throws {
        var ends: [Int32] = [-1, -1]
        // Glibc's module does not export pipe2, hence pipe and fcntl. dup2 in the child clears
        // close-on-exec on the copies it hands over.
        guard pipe(&ends) == 0 else { throw Errno(errno) }
        reader = ends[0]
        writer = ends[1]
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    }

    /// For the parent's end only: each end is its own open file description, so the child's end
    /// stays blocking, as programs expect of their stdin and stdout.
    static func makeNonBlocking(_ end: Int32) {
        _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
    }

    func closeReader() {
        if reader >= 0 { close(reader) }
        reader = -1
    }

    func closeWriter() {
        if writer >= 0 { close(writer) }
        writer = -1
    }

    func closeBoth() {
        closeReader()
        closeWriter()
    }
}
