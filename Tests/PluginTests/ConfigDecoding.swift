import CNI
import JSON
import Testing

/// Decodes a plugin's own keys from `json` as the plugin runner does: a decoder's complaint becomes
/// the CNI error a runtime would read (6 for malformed input, 7 for a well-formed value refused).
func decode<Config: Decodable>(_ type: Config.Type, _ json: String) throws -> Config {
    let bytes = Array(json.utf8)
    do {
        return try JSONCodec.decode(type, from: bytes)
    } catch let error as DecodingError {
        throw CNIError(error, decoding: "plugin config", from: bytes)
    }
}

/// The error decoding `json` fails with, recording an issue if it does not fail.
func refusal<Config: Decodable>(_ type: Config.Type, _ json: String,
                                sourceLocation: SourceLocation = #_sourceLocation) -> CNIError? {
    #expect(throws: CNIError.self, sourceLocation: sourceLocation) { try decode(type, json) }
}
