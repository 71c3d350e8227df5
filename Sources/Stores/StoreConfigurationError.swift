/// Why a configuration names no usable store; the text names the key and the problem.
public struct StoreConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
