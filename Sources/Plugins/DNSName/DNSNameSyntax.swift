/// What a name the responder answers for may look like: dot-separated labels of 1 to 63 letters,
/// digits, `-` and `_` (podman's container names allow `_`), 253 characters in all.
enum DNSNameSyntax {
    static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && label.allSatisfy { c in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
            }
        }
    }
}
