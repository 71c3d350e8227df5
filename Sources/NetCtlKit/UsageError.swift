/// A command line that reads but holds a value the command cannot take (an invalid interface name,
/// a `--cap` value that is not JSON): exit status 2. Thrown before the command does anything, so
/// the caller may hand the whole command line to the parser proper to word it.
public struct UsageError: Error, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
