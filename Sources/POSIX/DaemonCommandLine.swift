import Glibc

/// What a swift-cni daemon started by a plugin takes on its command line, `[--data-dir DIR]
/// [--foreground]` or `--version`, and how it starts: one instance per data directory, guarded by a lock there.
public struct DaemonCommandLine: Sendable {
    /// The program's name, in messages.
    public let program: String
    public var dataDir: String
    /// Log to stderr for a service manager, rather than to the daemon's log file.
    public var foreground = false

    public var usage: String { "usage: \(program) [--data-dir DIR] [--foreground] | \(program) --version" }

    /// Parses `arguments` (without the program's name); prints `version` and exits 0 on
    /// `--version`, the usage on `--help` (0) or anything else (2).
    public init(program: String, version: String, arguments: [String], defaultDataDir: String) {
        self.program = program
        dataDir = defaultDataDir
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--data-dir" where !rest.isEmpty: dataDir = rest.popFirst()!
            case "--foreground": foreground = true
            case "-h", "--help":
                print(usage)
                exit(0)
            case "--version":
                print(version)
                exit(0)
            default:
                _ = ProcessIO.writeAll(STDERR_FILENO, Array("\(program): unknown argument \(argument)\n\(usage)\n".utf8))
                exit(2)
            }
        }
    }

    /// Writes `message` to stderr, naming the program, and exits 1.
    public func fail(_ message: String) -> Never {
        _ = ProcessIO.writeAll(STDERR_FILENO, Array("\(program): \(message)\n".utf8))
        exit(1)
    }

    /// Takes the lock at `path` for the rest of the process's life: exits 0 at once if another
    /// instance holds it (it serves this directory), 1 if the file cannot be opened.
    public func holdLockOrExit(_ path: String) -> InstanceLock {
        do {
            guard let lock = try InstanceLock.acquire(path) else { exit(0) }
            return lock
        } catch {
            fail("cannot open \(path): \(error)")
        }
    }
}
