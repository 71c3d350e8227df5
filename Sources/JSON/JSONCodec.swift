/// JSON in and out of `Codable` types, over the standard library alone.
///
/// Plugins are processes that start for every ADD, so what a coder costs on first use is paid every
/// time. FoundationEssentials' coders made a bridge ADD a third slower than these do (4.3 against
/// 3.2 ms, alternating over 300 ADDs): type lookups across its 1,900 protocol conformances and
/// page faults in its 6 MB of code.
public enum JSONCodec {
    /// Decodes `type` from JSON text. A syntax error is a `DecodingError.dataCorrupted` at the top
    /// level whose underlying error is the `JSONSyntaxError` locating it.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: document(from: bytes))
    }

    /// Parses JSON text once, for callers that look at the document before decoding it. A syntax
    /// error is reported as `decode(_:from:)` reports it.
    public static func document(from bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: error.description, underlyingError: error))
        }
    }

    /// Decodes `type` from a parsed document.
    public static func decode<T: Decodable>(_ type: T.Type, from document: JSONValue) throws -> T {
        try JSONValueDecoder(value: document).decode(type)
    }

    /// Encodes `value` compactly, object members sorted by name (see `JSONWriter`).
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let root = JSONValueEncoder.PartialValue()
        try value.encode(to: JSONValueEncoder(slot: root))
        return JSONWriter.write(root.document)
    }
}
