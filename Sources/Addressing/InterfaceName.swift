/// A Linux network interface name, validated as the kernel and the CNI spec require:
/// 1 to 15 bytes, none of the names the kernel reserves, and no `/`, `:`, `%`, NUL or whitespace.
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
        if reserved.contains(text) { return "is reserved by the kernel" }
        // C strings end at a NUL: the kernel would be handed a shorter name than the one asked for.
        if text.utf8.contains(0) { return "contains a NUL byte" }
        // The kernel takes a name with `%` as a template ("eth%d") and makes up the name itself.
        if text.utf8.contains(UInt8(ascii: "%")) { return "contains '%'" }
        // Scalars, not characters: a combining mark after a `/` makes one character of the two.
        if text.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0.properties.isWhitespace })
            || text.utf8.contains(where: isKernelSpace) {
            return "contains '/', ':' or whitespace"
        }
        return nil
    }

    /// `.` and `..` name directories in sysfs; `all` and `default` are the sysctl directories that
    /// stand for every interface and for new ones.
    private static let reserved: Set<String> = [".", "..", "all", "default"]

    /// The kernel's `isspace`, applied to each byte: Latin-1's no-break space (0xA0) included, so a
    /// character whose UTF-8 form holds that byte ("à" is C3 A0) is refused too.
    private static func isKernelSpace(_ byte: UInt8) -> Bool {
        (0x09...0x0D).contains(byte) || byte == 0x20 || byte == 0xA0
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension InterfaceName: CustomStringConvertible {
    public var description: String { rawValue }
}

extension InterfaceName: StringCodable {
    public static func refusal(_ text: String) -> String { "interface name \"\(text)\" \(problem(with: text) ?? "is invalid")" }
}
