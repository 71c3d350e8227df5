import Addressing

/// `CNI_CONTAINERID`: non-empty and matching `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$` (libcni's rule).
public struct ContainerID: Hashable, Sendable, StringCodable {
    public let rawValue: String

    public init?(_ text: String) {
        guard CNIName.isValid(text) else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func refusal(_ text: String) -> String { "invalid container ID \"\(text)\"" }
}

/// The network's `name`: the same character rule as a container ID. A bad one surfaces as code 7,
/// because a decoder's refusal of a well-formed value is an invalid configuration.
public struct NetworkName: Hashable, Sendable, StringCodable {
    public let rawValue: String

    public init?(_ text: String) {
        guard CNIName.isValid(text) else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func refusal(_ text: String) -> String {
        "invalid network name \"\(text)\": a network name must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"
    }
}

enum CNIName {
    static func isValid(_ text: String) -> Bool {
        guard let first = text.utf8.first, isAlphanumeric(first) else { return false }
        return text.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }
}
