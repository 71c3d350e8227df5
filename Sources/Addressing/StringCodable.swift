/// A value that JSON carries as its text form (an address, a name): parsed and validated once, when
/// decoded, and written back as `description`.
public protocol StringCodable: Codable, CustomStringConvertible {
    /// Parses the text form; `nil` if it is not valid.
    init?(_ text: String)

    /// Why `text` was refused, for the decoding error a person reads.
    static func refusal(_ text: String) -> String
}

extension StringCodable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: Self.refusal(text)))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
