// Every command here prints through `Output` and fails with `CommandFailure`, from the library
// the runner commands share with `netctl`.
@_exported import NetCtlKit
import ArgumentParser
import CNI
import Glibc

extension NetCtl {
    /// Parses, runs, and exits with the documented status: 0 done, 1 the operation failed (the
    /// message says what to do next), 2 the command line was wrong. swift-argument-parser's own
    /// usage status (64) becomes 2, as most Unix tools use it.
    static func main() {
        do {
            do {
                var command = try parseAsRoot()
                try command.run()
            } catch let error as UsageError {
                throw ValidationError(error.message)
            }
        } catch let failure as CommandFailure {
            Output.error(failure.description)
            Glibc.exit(1)
        } catch let error as CNIError {
            Output.error(error.description)
            Glibc.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            Output.error(fullMessage(for: error).replacingPrefix("Error: ", with: ""))
            Glibc.exit(code == .validationFailure ? 2 : 1)
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
