import Glibc

/// One run of an executable: the given environment, all of `stdin` written to it, its stdout
/// collected, its stderr shared with ours (so a delegate's logs reach the runtime like our own).
public struct Subprocess: Sendable {
    /// How the process ended: its exit status, or the signal that killed it.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signaled(let signal): "was killed by signal \(signal)"
            }
        }
    }

    public let termination: Termination
    /// Everything the process wrote to its stdout.
    public let stdout: [UInt8]

    /// Spawns `path` with `argv[0] = path` and waits for it. Writing and reading are multiplexed
    /// with `poll`, so a child that writes before it has read all its input cannot deadlock us.
    public static func run(_ path: String, environment: [String: String], stdin: [UInt8]) throws -> Subprocess {
        let input = try Pipe()
        defer { input.closeBoth() }
        let output = try Pipe()
        defer { output.closeBoth() }

        let pid = try spawn(path, environment: environment, stdin: input.reader, stdout: output.writer)
        input.closeReader()
        output.closeWriter()
        Pipe.makeNonBlocking(input.writer)
        Pipe.makeNonBlocking(output.reader)

        let collected = try SIGPIPEBlocked.during { try exchange(stdin, into: input, from: output) }
        return Subprocess(termination: try wait(for: pid), stdout: collected)
    }

    private static func spawn(_ path: String, environment: [String: String], stdin: Int32,
                              stdout: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, stdout, STDOUT_FILENO)

        // SIGPIPE at its default: we block it while writing the child's stdin.
        return try Spawn.start(path, environment: environment, actions: &actions, defaultSignals: [SIGPIPE])
    }

    private static func exchange(_ stdin: [UInt8], into input: Pipe, from output: Pipe) throws -> [UInt8] {
        var written = 0
        if stdin.isEmpty { input.closeWriter() }
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while output.reader >= 0 {
            var descriptors = [pollfd(fd: output.reader, events: Int16(POLLIN), revents: 0)]
            if input.writer >= 0 { descriptors.append(pollfd(fd: input.writer, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) >= 0 else {
                if errno == EINTR { continue }
                throw Errno(errno)
            }
            if descriptors.count > 1, descriptors[1].revents != 0 {
                let count = stdin[written...].withUnsafeBytes { write(input.writer, $0.baseAddress, $0.count) }
                if count >= 0 {
                    written += count
                    if written == stdin.count { input.closeWriter() }
                } else if errno == EPIPE {
                    // The child stopped reading; what it does without the rest is its business.
                    input.closeWriter()
                } else if errno != EINTR && errno != EAGAIN {
                    throw Errno(errno)
                }
            }
            if descriptors[0].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(output.reader, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected += chunk[..<count]
                } else if count == 0 {
                    output.closeReader()
                } else if errno != EINTR && errno != EAGAIN {
                    throw Errno(errno)
                }
            }
        }
        return collected
    }

    private static func wait(for pid: pid_t) throws -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Errno(errno) }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}

/// Writing to a child that has exited raises SIGPIPE, which would kill us. SIGPIPE from `write` is
/// sent to the writing thread, so blocking it on this thread for the duration (and discarding a
/// pending one afterwards) turns it into EPIPE without changing the process-wide disposition.
private enum SIGPIPEBlocked {
    static func during<T>(_ body: () throws -> T) throws -> T {
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1, sigismember(&previous, SIGPIPE) == 0 {
                var immediately = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeOnly, nil, &immediately)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        return try body()
    }
}
