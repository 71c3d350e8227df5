/// The 64-bit FNV-1a hash of strings' UTF-8 bytes, one after the other: short, stable names for
/// things whose own text cannot be a name (too long, or holding separators).
public enum FNV1a {
    public static func hash(_ parts: String...) -> UInt64 { hash(parts) }

    /// The hash as 16 lowercase hex digits.
    public static func digits(_ parts: String...) -> String {
        let hash = hash(parts)
        // By hand: `String(_:radix:)` is generic, and its first use costs a process about 30 µs of
        // runtime type lookups (2% of a netctl DEL's samples in `perf record`).
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: stride(from: 60, through: 0, by: -4).map { hex[Int((hash >> UInt64($0)) & 0xf)] },
                      as: UTF8.self)
    }

    private static func hash(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return hash
    }
}
