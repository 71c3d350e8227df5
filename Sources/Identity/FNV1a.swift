/// The 64-bit FNV-1a hash of strings' UTF-8 bytes, one after the other: short, stable names for
/// things whose own text cannot be a name (too long, or holding separators).
public enum FNV1a {
    public static func hash(_ parts: String...) -> UInt64 { hash(parts) }

    /// The hash as 16 lowercase hex digits.
    public static func digits(_ parts: String...) -> String {
        let digits = String(hash(parts), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static func hash(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return hash
    }
}
