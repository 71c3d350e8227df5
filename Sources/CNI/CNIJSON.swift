import FoundationEssentials

/// The one JSON configuration for everything the plugins write and read.
enum CNIJSON {
    /// Sorted keys put `cniVersion` first in every document we print and make output reproducible;
    /// unescaped slashes keep netns paths readable.
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
