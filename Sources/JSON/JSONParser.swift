/// Parses JSON text (RFC 8259) into a `JSONValue`.
///
/// Strict where the reference Go plugins are strict (no trailing commas, no comments, nothing after
/// the document) and lenient where they are lenient: invalid UTF-8 and unpaired surrogate escapes
/// become U+FFFD instead of failing the whole config.
public enum JSONParser {
    /// Nesting deeper than this is refused rather than risking the stack on hostile input.
    public static let maximumDepth = 512

    /// The one JSON value that `bytes` holds, whitespace around it allowed.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSONValue in
            var cursor = Cursor(bytes: buffer)
            do throws(Failure) {
                let value = try cursor.value(depth: 0)
                cursor.skipWhitespace()
                guard cursor.offset == buffer.count else {
                    throw Failure(offset: cursor.offset, expected: "the end of the document")
                }
                return value
            } catch {
                throw JSONSyntaxError(error, in: buffer)
            }
        }
    }

    /// Where parsing stopped and what would have been valid there.
    struct Failure: Error {
        let offset: Int
        let expected: String
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func value(depth: Int) throws(Failure) -> JSONValue {
            skipWhitespace()
            guard let byte = peek() else { throw Failure(offset: offset, expected: "a value") }
            switch byte {
            case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
            case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw Failure(offset: offset, expected: "a value")
            }
        }

        private mutating func object(depth: Int) throws(Failure) -> [String: JSONValue] {
            try enter(depth: depth)
            var members: [String: JSONValue] = [:]
            if consume(UInt8(ascii: "}")) { return members }
            repeat {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw Failure(offset: offset, expected: "a string key") }
                let name = try string()
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { throw Failure(offset: offset, expected: "':'") }
                members[name] = try value(depth: depth)
                skipWhitespace()
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")) else { throw Failure(offset: offset, expected: "',' or '}'") }
            return members
        }

        private mutating func array(depth: Int) throws(Failure) -> [JSONValue] {
            try enter(depth: depth)
            var elements: [JSONValue] = []
            if consume(UInt8(ascii: "]")) { return elements }
            repeat {
                elements.append(try value(depth: depth))
                skipWhitespace()
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "]")) else { throw Failure(offset: offset, expected: "',' or ']'") }
            return elements
        }

        /// Steps over an opening bracket and the whitespace after it.
        private mutating func enter(depth: Int) throws(Failure) {
            guard depth <= JSONParser.maximumDepth else { throw Failure(offset: offset, expected: "less nesting") }
            offset += 1
            skipWhitespace()
        }

        /// Reads a string whose opening quote is at `offset`. Strings without escapes, nearly all of
        /// them, are decoded straight from the input.
        private mutating func string() throws(Failure) -> String {
            offset += 1
            let start = offset
            while let byte = peek() {
                switch byte {
                case UInt8(ascii: "\""):
                    offset += 1
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset - 1]), as: UTF8.self)
                case UInt8(ascii: "\\"):
                    return try escapedString(from: start)
                case 0..<0x20:
                    throw Failure(offset: offset, expected: "no control characters in a string")
                default:
                    offset += 1
                }
            }
            throw Failure(offset: offset, expected: "'\"' closing the string")
        }

        private mutating func escapedString(from start: Int) throws(Failure) -> String {
            var text = Array(bytes[start..<offset])
            while let byte = peek() {
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: text, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek() else { continue }
                    offset += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"): UTF8.encode(try unicodeEscape()) { text.append($0) }
                    default: throw Failure(offset: offset - 1, expected: "a valid escape character")
                    }
                case 0..<0x20:
                    throw Failure(offset: offset - 1, expected: "no control characters in a string")
                default:
                    text.append(byte)
                }
            }
            throw Failure(offset: offset, expected: "'\"' closing the string")
        }

        /// The scalar of a `\uXXXX` escape whose `\u` has been read, joining a surrogate pair.
        private mutating func unicodeEscape() throws(Failure) -> Unicode.Scalar {
            let unit = try hexQuad()
            if (0xD800..<0xDC00).contains(unit), bytes[offset...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) {
                let resume = offset
                offset += 2
                let low = try hexQuad()
                if (0xDC00..<0xE000).contains(low) {
                    return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                }
                offset = resume
            }
            return Unicode.Scalar(unit) ?? "\u{FFFD}"
        }

        private mutating func hexQuad() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = peek(), let digit = Self.hexValue(byte) else {
                    throw Failure(offset: offset, expected: "four hex digits after \\u")
                }
                value = value << 4 | digit
                offset += 1
            }
            return value
        }

        private static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }

        private mutating func number() throws(Failure) -> String {
            let start = offset
            _ = consume(UInt8(ascii: "-"))
            if !consume(UInt8(ascii: "0")) { try digits() }
            if consume(UInt8(ascii: ".")) { try digits() }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                _ = consume(UInt8(ascii: "+")) || consume(UInt8(ascii: "-"))
                try digits()
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        }

        private mutating func digits() throws(Failure) {
            guard let first = peek(), Self.isDigit(first) else { throw Failure(offset: offset, expected: "a digit") }
            while let byte = peek(), Self.isDigit(byte) { offset += 1 }
        }

        private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        private mutating func literal(_ word: StaticString) throws(Failure) {
            let start = offset
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes[offset...].starts(with: expected) else { throw Failure(offset: start, expected: "a value") }
            offset += expected.count
        }

        /// Steps over `byte` if it is next.
        private mutating func consume(_ byte: UInt8) -> Bool {
            guard peek() == byte else { return false }
            offset += 1
            return true
        }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
        }

        private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }
    }
}
