import JSON

/// The control protocol's framing: each message is one line of compact JSON.
public enum ControlLine {
    /// `message` as JSON text ending in a newline (compact JSON holds no newline of its own).
    public static func encode(_ message: some Encodable) throws -> [UInt8] {
        try JSONCodec.encode(message) + [UInt8(ascii: "\n")]
    }

    /// Decodes one line, with or without its newline.
    public static func decode<T: Decodable>(_ type: T.Type, from line: some Collection<UInt8>) throws -> T {
        var bytes = Array(line)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return try JSONCodec.decode(type, from: bytes)
    }
}
