/// A Linux network interface name, validated as the kernel and the CNI spec require:
/// 1 to 15 bytes, not `.` or `..`, and no `/`, `:`, NUL or whitespace.
public struct InterfaceName: Hashable, Sendable, Comparable {
    public let rawValue: String

    /// The kernel's limit, `IFNAMSIZ` minus the terminating NUL.
    public static let maximumLength = 15

    public init?(_ text: String) {
        guard InterfaceName.problem(with: text) == nil else { return nil }
        rawValue = text
    }

    /// Why `text` is not a valid interface name, or `nil` if it is.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.utf8.count > maximumLength { return "is longer than \(maximumLength) bytes" }
        if text == "." || text == ".." { return "cannot be \"\(text)\"" }
        // Scalars, not characters: a combining mark after a `/` makes one character of the two.
        if text.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0 == "\0" || $0.properties.isWhitespace }) {
            return "contains '/', ':', NUL or whitespace"
        }
        return nil
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension InterfaceName: CustomStringConvertible {
    public var description: String { rawValue }
}

extension InterfaceName: StringCodable {
    public static func refusal(_ text: String) -> String { "interface name \"\(text)\" \(problem(with: text) ?? "is invalid")" }
}
