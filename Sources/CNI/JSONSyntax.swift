/// Locates the first syntax error in a JSON document. FoundationEssentials' decoder only says "The
/// given data was not valid JSON."; a config with a missing comma deserves a line and column. Runs
/// only after the decoder has failed, so it costs nothing on the normal path. Like that decoder,
/// it accepts a trailing comma, so it does not blame one for another error.
enum JSONSyntax {
    /// `line 3, column 14: expected a value, found '}'`, or `nil` if `json` is well-formed.
    static func problem(in json: [UInt8]) -> String? {
        var scanner = Scanner(bytes: json)
        do {
            try scanner.document()
            return nil
        } catch {
            return scanner.describe(error)
        }
    }

    private struct Failure: Error {
        let offset: Int
        let expected: String
    }

    private struct Scanner {
        let bytes: [UInt8]
        var offset = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        private static let maximumDepth = 512

        mutating func document() throws {
            try value()
            skipWhitespace()
            if offset < bytes.count { throw Failure(offset: offset, expected: "the end of the document") }
        }

        private mutating func value() throws {
            skipWhitespace()
            guard let byte = peek() else { throw Failure(offset: offset, expected: "a value") }
            switch byte {
            case UInt8(ascii: "{"): try container(closing: UInt8(ascii: "}"), isObject: true)
            case UInt8(ascii: "["): try container(closing: UInt8(ascii: "]"), isObject: false)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw Failure(offset: offset, expected: "a value")
            }
        }

        /// An object or an array: members separated by commas, a trailing one allowed.
        private mutating func container(closing: UInt8, isObject: Bool) throws {
            depth += 1
            guard depth <= Self.maximumDepth else { throw Failure(offset: offset, expected: "less nesting") }
            offset += 1
            skipWhitespace()
            if peek() == closing {
                offset += 1
                depth -= 1
                return
            }
            while true {
                if isObject {
                    skipWhitespace()
                    guard peek() == UInt8(ascii: "\"") else { throw Failure(offset: offset, expected: "a string key") }
                    try string()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "':'")
                }
                try value()
                skipWhitespace()
                if peek() == UInt8(ascii: ",") {
                    offset += 1
                    skipWhitespace()
                    // A trailing comma, which FoundationEssentials' decoder accepts too.
                    if peek() != closing { continue }
                }
                try expect(closing, isObject ? "',' or '}'" : "',' or ']'")
                depth -= 1
                return
            }
        }

        private mutating func string() throws {
            offset += 1
            while let byte = peek() {
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return
                case UInt8(ascii: "\\"):
                    guard let escaped = peek() else { break }
                    offset += 1
                    if escaped == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let hex = peek(), isHexDigit(hex) else {
                                throw Failure(offset: offset, expected: "four hex digits after \\u")
                            }
                            offset += 1
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                        throw Failure(offset: offset - 1, expected: "a valid escape character")
                    }
                case 0..<0x20:
                    throw Failure(offset: offset - 1, expected: "no control characters in a string")
                default:
                    continue
                }
            }
            throw Failure(offset: offset, expected: "'\"' closing the string")
        }

        private mutating func number() throws {
            if peek() == UInt8(ascii: "-") { offset += 1 }
            if peek() == UInt8(ascii: "0") {
                offset += 1
            } else {
                try digits()
            }
            if peek() == UInt8(ascii: ".") {
                offset += 1
                try digits()
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                offset += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
                try digits()
            }
        }

        private mutating func digits() throws {
            guard let first = peek(), isDigit(first) else { throw Failure(offset: offset, expected: "a digit") }
            while let byte = peek(), isDigit(byte) { offset += 1 }
        }

        private mutating func literal(_ word: String) throws {
            let start = offset
            for expected in word.utf8 {
                guard peek() == expected else { throw Failure(offset: start, expected: "a value") }
                offset += 1
            }
        }

        private mutating func expect(_ byte: UInt8, _ description: String) throws {
            guard peek() == byte else { throw Failure(offset: offset, expected: description) }
            offset += 1
        }

        private mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
        }

        private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }
        private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        private func isHexDigit(_ byte: UInt8) -> Bool {
            isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
        }

        func describe(_ error: any Error) -> String {
            guard let failure = error as? Failure else { return String(describing: error) }
            let before = bytes[..<min(failure.offset, bytes.count)]
            let line = before.count(where: { $0 == 0x0A }) + 1
            let column = before.count - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            let found = failure.offset < bytes.count
                ? "'\(String(decoding: [bytes[failure.offset]], as: UTF8.self))'"
                : "the end of the input"
            return "line \(line), column \(column): expected \(failure.expected), found \(found)"
        }
    }
}
