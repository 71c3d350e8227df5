import JSON

/// The part of YAML that topology files need, read into the same `JSONValue` a JSON file parses to, so
/// one decoder serves both: block mappings and sequences by indentation, flow sequences and mappings on
/// one line (`[a, b]`, `{to: default, via: 10.0.0.1}`), plain, single- and double-quoted scalars, comments.
/// Plain `true`/`false`, `null`/`~` and numbers are typed as YAML 1.2's core schema types them.
///
/// Anchors, tags, multi-line scalars and multiple documents are refused with the line they are on,
/// rather than misread.
enum YAMLSubset {
    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        let line: Int
        let problem: String
        var description: String { "line \(line): \(problem)" }
    }

    static func parse(_ text: String) throws -> JSONValue {
        var reader = Reader(lines: try lines(of: text))
        guard let first = reader.peek else { return .object([:]) }
        let value = try reader.node(indent: first.indent)
        if let extra = reader.peek {
            throw SyntaxError(line: extra.number, problem: "unexpected indentation or content: \"\(extra.content)\"")
        }
        return value
    }

    fileprivate struct Line {
        var number: Int
        var indent: Int
        var content: String
    }

    private static func lines(of text: String) throws -> [Line] {
        var result: [Line] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.contains("\t") && line.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                throw SyntaxError(line: number, problem: "tabs cannot indent YAML; use spaces")
            }
            let content = stripComment(String(line.drop(while: { $0 == " " })))
            if content.isEmpty || content == "---" { continue }
            if content == "..." || content.hasPrefix("--- ") {
                throw SyntaxError(line: number, problem: "only one YAML document per file")
            }
            if let first = content.first, "&*!|>%@`".contains(first) {
                throw SyntaxError(line: number, problem: "anchors, tags and block scalars are not supported here")
            }
            result.append(Line(number: number, indent: line.prefix(while: { $0 == " " }).count, content: content))
        }
        return result
    }

    /// `content` without a trailing `# comment` (a `#` that starts the text or follows a space, outside quotes)
    /// and trailing spaces.
    private static func stripComment(_ content: String) -> String {
        var quote: Character?
        var previous: Character = " "
        var end = content.endIndex
        for index in content.indices {
            let character = content[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" && previous == " " {
                end = index
                break
            }
            previous = character
        }
        var kept = content[..<end]
        while kept.last == " " { kept.removeLast() }
        return String(kept)
    }

    fileprivate struct Reader {
        var lines: [Line]
        var position = 0

        var peek: Line? { position < lines.count ? lines[position] : nil }

        /// The node whose first line is the current one, at `indent`.
        mutating func node(indent: Int) throws -> JSONValue {
            guard let line = peek else { return .null }
            if line.content == "-" || line.content.hasPrefix("- ") { return try sequence(indent: indent) }
            if YAMLSubset.splitKey(line.content) != nil { return try mapping(indent: indent) }
            position += 1
            return try YAMLSubset.scalarOrFlow(line.content, line: line.number)
        }

        private mutating func sequence(indent: Int) throws -> JSONValue {
            var items: [JSONValue] = []
            while let line = peek, line.indent == indent, line.content == "-" || line.content.hasPrefix("- ") {
                let rest = String(line.content.dropFirst().drop(while: { $0 == " " }))
                if rest.isEmpty {
                    position += 1
                    items.append(try nested(deeperThan: indent))
                } else {
                    // `- key: value` opens a mapping whose further keys align with `key`.
                    let offset = line.content.count - rest.count
                    lines[position] = Line(number: line.number, indent: indent + offset, content: rest)
                    items.append(try node(indent: indent + offset))
                }
            }
            return .array(items)
        }

        private mutating func mapping(indent: Int) throws -> JSONValue {
            var members: [String: JSONValue] = [:]
            while let line = peek, line.indent == indent {
                guard let (key, rest) = YAMLSubset.splitKey(line.content) else {
                    throw SyntaxError(line: line.number, problem: "expected \"key: value\", found \"\(line.content)\"")
                }
                if members[key] != nil { throw SyntaxError(line: line.number, problem: "\"\(key)\" appears twice") }
                position += 1
                if !rest.isEmpty {
                    members[key] = try YAMLSubset.scalarOrFlow(rest, line: line.number)
                } else if let next = peek, next.indent == indent, next.content == "-" || next.content.hasPrefix("- ") {
                    members[key] = try sequence(indent: indent)
                } else {
                    members[key] = try nested(deeperThan: indent)
                }
            }
            if let line = peek, line.indent > indent {
                throw SyntaxError(line: line.number, problem: "unexpected indentation")
            }
            return .object(members)
        }

        private mutating func nested(deeperThan indent: Int) throws -> JSONValue {
            guard let next = peek, next.indent > indent else { return .null }
            return try node(indent: next.indent)
        }
    }

    /// `key` and what follows `key:` on the line, or `nil` if the line is no mapping entry.
    fileprivate static func splitKey(_ content: String) -> (String, String)? {
        if content.first == "[" || content.first == "{" { return nil }
        var quote: Character?
        for index in content.indices {
            let character = content[index]
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            if character == "\"" || character == "'" { quote = character; continue }
            guard character == ":" else { continue }
            let after = content.index(after: index)
            guard after == content.endIndex || content[after] == " " else { continue }
            let rawKey = String(content[..<index]).trimmingSpaces()
            let key = (try? unquote(rawKey, line: 0)) ?? rawKey
            return (key, String(content[after...]).trimmingSpaces())
        }
        return nil
    }

    fileprivate static func scalarOrFlow(_ text: String, line: Int) throws -> JSONValue {
        var flow = FlowParser(characters: Array(text), line: line)
        let value = try flow.value()
        flow.skipSpaces()
        guard flow.atEnd else { throw SyntaxError(line: line, problem: "unexpected text after a value: \"\(text)\"") }
        return value
    }

    private static func unquote(_ text: String, line: Int) throws -> String {
        var flow = FlowParser(characters: Array(text), line: line)
        guard case .string(let value) = try flow.value(), flow.atEnd else { return text }
        return value
    }

    /// Plain scalars as YAML 1.2's core schema types them.
    static func plain(_ text: String) -> JSONValue {
        switch text {
        case "null", "Null", "NULL", "~", "": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
                return .number(text.first == "+" ? String(digits) : text)
            }
            return .string(text)
        }
    }

    /// One value on one line: a quoted or plain scalar, or a flow collection.
    private struct FlowParser {
        let characters: [Character]
        let line: Int
        var index = 0
        /// Inside `[...]` or `{...}`, where `,` `]` `}` end a plain scalar.
        var depth = 0

        var atEnd: Bool { index == characters.count }

        mutating func skipSpaces() {
            while index < characters.count, characters[index] == " " { index += 1 }
        }

        mutating func value() throws -> JSONValue {
            skipSpaces()
            guard index < characters.count else { return .null }
            switch characters[index] {
            case "[": return try collection(closing: "]")
            case "{": return try collection(closing: "}")
            case "\"", "'": return .string(try quoted())
            case "&", "*", "!", "|", ">", "%", "@", "`":
                throw SyntaxError(line: line, problem: "anchors, aliases, tags and block scalars are not supported here")
            default: return YAMLSubset.plain(plainText())
            }
        }

        private mutating func plainText() -> String {
            let start = index
            while index < characters.count {
                let character = characters[index]
                if depth > 0, character == "," || character == "]" || character == "}" { break }
                if depth > 0, character == ":", index + 1 < characters.count, characters[index + 1] == " " { break }
                index += 1
            }
            return String(characters[start..<index]).trimmingSpaces()
        }

        private mutating func quoted() throws -> String {
            let open = characters[index]
            index += 1
            var text = ""
            while index < characters.count {
                let character = characters[index]
                index += 1
                if character == open {
                    // '' is a quote inside single quotes.
                    if open == "'", index < characters.count, characters[index] == "'" { text.append("'"); index += 1; continue }
                    return text
                }
                if open == "\"", character == "\\", index < characters.count {
                    let escaped = characters[index]
                    index += 1
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "\\", "\"", "/": text.append(escaped)
                    default: throw SyntaxError(line: line, problem: "unsupported escape \\\(escaped)")
                    }
                    continue
                }
                text.append(character)
            }
            throw SyntaxError(line: line, problem: "a quoted string is not closed")
        }

        private mutating func collection(closing: Character) throws -> JSONValue {
            index += 1
            depth += 1
            defer { depth -= 1 }
            var items: [JSONValue] = []
            var members: [String: JSONValue] = [:]
            while true {
                skipSpaces()
                guard index < characters.count else {
                    throw SyntaxError(line: line, problem: "\"\(closing)\" missing: flow collections must close on their line")
                }
                if characters[index] == closing { index += 1; break }
                let item = try value()
                skipSpaces()
                if closing == "}" {
                    guard case .string(let key) = item, index < characters.count, characters[index] == ":" else {
                        throw SyntaxError(line: line, problem: "expected \"key: value\" inside { }")
                    }
                    index += 1
                    members[key] = try value()
                    skipSpaces()
                } else {
                    items.append(item)
                }
                guard index < characters.count else { continue }
                if characters[index] == "," { index += 1 } else if characters[index] != closing {
                    throw SyntaxError(line: line, problem: "expected \",\" or \"\(closing)\", found \"\(characters[index])\"")
                }
            }
            return closing == "]" ? .array(items) : .object(members)
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
