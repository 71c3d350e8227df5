import Glibc
import Logging

/// A swift-log handler that writes one line per event to a file descriptor:
///
///     2026-12-02T07:36:03.123Z info cni-dns: serving 10.89.0.1:53 network=app
///
/// Each line goes out in a single `write(2)`, so lines from several threads, or from a detached daemon
/// and its successor appending to the same file, never interleave. Metadata follows the message as
/// sorted `key=value` pairs, so a log reads the same whichever order a caller set them in.
public struct LineLogHandler: LogHandler {
    /// Where the lines go: shared by every copy of the handler, as a `Logger` is copied freely.
    private let output: LogOutput
    private let label: String

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    init(label: String, output: LogOutput) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = LogTimestamp.now()
        line += " \(event.level) \(label): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key]!)"
        }
        if let error = event.error { line += " error=\"\(error)\"" }
        line += "\n"
        output.write(line)
    }
}

/// A file descriptor lines are appended to, closed when the last handler using it goes.
final class LogOutput: Sendable {
    let descriptor: Int32
    private let owned: Bool

    init(descriptor: Int32, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    deinit {
        if owned { close(descriptor) }
    }

    func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    // A log that cannot be written must not take the daemon down with it.
                    return
                }
            }
        }
    }
}
