import Glibc
import NetCtlKit

// `netctl`: the runner commands (add, del, check, gc, status) read and run here, in an executable
// that links neither swift-argument-parser nor Foundation, so that a runtime calling it per container
// pays for little more than the plugins; every other command line (help, completion, labs,
// inspection, a usage error) is the parser's, in netctl-cli.
let arguments = Array(CommandLine.arguments.dropFirst())
if let invocation = FastCommandLine.invocation(arguments) {
    do {
        try invocation.run()
        exit(0)
    } catch is UsageError {
        // Nothing was done: netctl-cli reads the line again and words the error as for any other.
    } catch {
        Output.error("\(error)")
        exit(1)
    }
}
CommandLineInterface.exec(CommandLine.arguments)
