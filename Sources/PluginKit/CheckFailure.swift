/// CHECK found the attachment differing from its ADD result: something it needs is missing or changed.
public struct CheckFailure: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
