#if canImport(Glibc)
import Glibc
#endif

/// Kernel parameters under `/proc/sys`, named by their path below it: `"net/ipv4/ip_forward"`,
/// `"net/ipv6/conf/eth0/accept_dad"`. (Slashes, not dots: interface names may contain dots.)
///
/// `/proc/sys/net` shows the network namespace of the thread that opens the file. To read or write another
/// namespace's settings, call these inside `namespace.run { }`.
public enum Sysctl {
    /// The parameter's value, without the trailing newline.
    public static func read(_ key: String) throws -> String {
        let path = try self.path(key)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("read sysctl \(key)", errno: errno) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read sysctl \(key)", errno: errno)
            }
            if count == 0 { break }
            contents += buffer[..<count]
        }
        return String(decoding: contents, as: UTF8.self).trimmingTrailingNewlines()
    }

    /// Sets the parameter to `value`, writing only if it differs from the current value (a write can have
    /// side effects even when it changes nothing, such as resetting per-interface settings).
    ///
    /// - Returns: whether the value changed.
    @discardableResult
    public static func write(_ key: String, _ value: String) throws -> Bool {
        guard try read(key) != value else { return false }
        let path = try self.path(key)
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("write sysctl \(key)", errno: errno) }
        defer { close(descriptor) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw failure("write \"\(value)\" to sysctl \(key)", errno: written < 0 ? errno : EIO)
        }
        return true
    }

    private static func path(_ key: String) throws -> String {
        let components = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw NetlinkError.invalidArgument("\"\(key)\" is not a sysctl key like net/ipv4/ip_forward")
        }
        return "/proc/sys/" + key
    }

    private static func failure(_ operation: String, errno code: Int32) -> NetlinkError {
        code == ENOENT ? .notFound(operation) : .system(operation, errno: code)
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
