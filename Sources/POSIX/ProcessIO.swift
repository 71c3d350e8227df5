import Glibc

/// The few process-level reads and writes the runner and delegates need, over plain file
/// descriptors (no Foundation).
public enum ProcessIO {
    /// The process environment as a dictionary.
    ///
    /// Split at the `=` byte: searching the `String` for the `Character` walked grapheme clusters
    /// through every variable, a tenth of a bridge ADD's instructions.
    public static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        while let pointer = entry?.pointee {
            if let equals = strchr(pointer, Int32(UInt8(ascii: "="))) {
                let name = UnsafeRawBufferPointer(start: pointer, count: pointer.distance(to: equals))
                variables[String(decoding: name, as: UTF8.self)] = String(cString: equals + 1)
            }
            entry = entry?.advanced(by: 1)
        }
        return variables
    }

    /// Reads `descriptor` to its end, or until it has read `limit + 1` bytes: a result longer than
    /// `limit` tells the caller the source holds more than it accepts, without reading the rest.
    public static func readAll(_ descriptor: Int32, limit: Int = .max) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        // Uninitialized: `read` fills what it returns, and a config is far smaller than the chunk.
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        while bytes.count <= limit {
            let remaining = limit - bytes.count
            let wanted = remaining < chunk.count ? remaining + 1 : chunk.count
            let count = read(descriptor, chunk.baseAddress, wanted)
            if count > 0 {
                bytes += UnsafeRawBufferPointer(rebasing: chunk[..<count])
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw Errno(errno)
            }
        }
        return bytes
    }

    /// Writes all of `bytes`; returns the error that stopped it, if any.
    @discardableResult
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Errno? {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count >= 0 {
                offset += count
            } else if errno != EINTR {
                return Errno(errno)
            }
        }
        return nil
    }
}
