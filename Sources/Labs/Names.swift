import Addressing

/// A lab's name: what its objects are tagged with (`netctl-lab:<name>` link aliases, firewall owner) and
/// what its state file is called. 1 to 32 of `a-z`, `0-9`, `-`, starting with a letter or digit.
public struct LabName: Hashable, Sendable, Comparable, StringCodable {
    public let rawValue: String
    public static let maximumLength = 32

    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        rawValue = text
    }

    static func problem(with text: String) -> String? {
        guard (1...maximumLength).contains(text.utf8.count) else { return "must be 1 to \(maximumLength) characters" }
        let allowed = text.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
        guard allowed, text.first != "-" else { return "may hold only a-z, 0-9 and '-', and not start with '-'" }
        return nil
    }

    public var description: String { rawValue }
    public static func < (lhs: LabName, rhs: LabName) -> Bool { lhs.rawValue < rhs.rawValue }
    public static func refusal(_ text: String) -> String { "invalid lab name \"\(text)\": a lab name \(problem(with: text) ?? "is invalid")" }
}

/// A named network namespace, as `ip netns` names them: a file name under /run/netns.
public struct NamespaceName: Hashable, Sendable, Comparable, StringCodable {
    public let rawValue: String

    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        rawValue = text
    }

    static func problem(with text: String) -> String? {
        if text.isEmpty || text.utf8.count > 64 { return "must be 1 to 64 bytes" }
        if text == "." || text == ".." || text.contains("/") || text.unicodeScalars.contains(where: \.properties.isWhitespace) {
            return "may not be '.', '..' or hold '/' or whitespace"
        }
        return nil
    }

    public var description: String { rawValue }
    public static func < (lhs: NamespaceName, rhs: NamespaceName) -> Bool { lhs.rawValue < rhs.rawValue }
    public static func refusal(_ text: String) -> String {
        "invalid namespace name \"\(text)\": a namespace name \(problem(with: text) ?? "is invalid")"
    }
}
