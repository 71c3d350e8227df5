/// A parsed JSON document: what `JSONParser` produces, `JSONWriter` prints, and the coders walk.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number as written, so that every integer width decodes exactly and nothing is rounded
    /// before a type asks for it.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members by name; when a name repeats, the last one counts (as in Go's encoding/json).
    case object([String: JSONValue])

    /// "a string", "an object": for messages that say what was found instead of what was expected.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
