/// Why a document is not JSON, located for a person: `line 3, column 14: expected a value, found '}'`.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Lines and columns count from 1; a column counts bytes.
    public let line: Int
    public let column: Int
    public let expected: String
    /// The offending character, quoted, or "the end of the input".
    public let found: String

    init(_ failure: JSONParser.Failure, in bytes: UnsafeBufferPointer<UInt8>) {
        let before = bytes[..<min(failure.offset, bytes.count)]
        line = before.count(where: { $0 == 0x0A }) + 1
        column = before.count - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        expected = failure.expected
        found = failure.offset < bytes.count
            ? "'\(String(decoding: [bytes[failure.offset]], as: UTF8.self))'"
            : "the end of the input"
    }

    public var description: String { "line \(line), column \(column): expected \(expected), found \(found)" }
}
