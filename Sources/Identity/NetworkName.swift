import Addressing

/// The network's `name`: the same character rule as a container ID, at most `maximumLength` bytes.
/// A bad one surfaces as code 7, because a decoder's refusal of a well-formed value is an invalid
/// configuration.
public struct NetworkName: Hashable, Sendable, StringCodable {
    public static let maximumLength = 63

    public let rawValue: String

    public init?(_ text: String) {
        guard CNIName.problem(with: text, maximumLength: Self.maximumLength) == nil else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func refusal(_ text: String) -> String {
        let problem = CNIName.problem(with: text, maximumLength: maximumLength) ?? "is invalid"
        return "invalid network name \"\(text)\": a network name \(problem)"
    }
}
