import ArgumentParser
import POSIX
#if canImport(Glibc)
import Glibc
#endif

extension NetCtl {
    /// Runs the command with the exit statuses netctl documents: 0 success, 1 failure, 2 usage error
    /// (argument-parser's own is 64, EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { _ = ProcessIO.writeAll(2, Array((message + "\n").utf8)) }
            Glibc.exit(2)
        }
    }
}
