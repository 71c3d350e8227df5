import Glibc
import Logging

/// Logging for swift-cni's long-running programs (the DNS responder, the overlay agent) and `netctl`,
/// through swift-log, so that they and the libraries they use (swift-nio, swift-argument-parser's
/// tools) log through one API. Plugins never link it: their start-up is part of every ADD, and what
/// they have to say goes to the runtime as a CNI error.
public enum ServiceLog {
    /// Where a program's log lines go.
    public enum Destination: Sendable {
        /// Standard error: a program in the foreground under a service manager, which keeps the log.
        case standardError
        /// A file, appended to and created (mode 0640) if missing: a daemon started detached by a
        /// plugin has no one reading its standard error.
        case file(String)
    }

    /// Routes every `Logger` of the process to `destination`, at `level` and above. Call once, first
    /// thing in `main`; swift-log allows one bootstrap per process.
    public static func bootstrap(_ destination: Destination, level: Logger.Level = .info) throws {
        let output = try open(destination)
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, output: output)
            handler.logLevel = level
            return handler
        }
    }

    /// A handler writing to `destination`, for a program that builds its loggers itself (and tests).
    public static func handler(label: String, _ destination: Destination) throws -> LineLogHandler {
        LineLogHandler(label: label, output: try open(destination))
    }

    private static func open(_ destination: Destination) throws -> LogOutput {
        switch destination {
        case .standardError:
            return LogOutput(descriptor: STDERR_FILENO, owned: false)
        case .file(let path):
            let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw LogFileError(path: path, errno: errno) }
            return LogOutput(descriptor: descriptor, owned: true)
        }
    }
}

/// A log file that could not be opened.
public struct LogFileError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32

    public var description: String { "cannot open log file \(path): \(String(cString: strerror(errno)))" }
}
