import Glibc
import KVSQLite
import POSIX

/// What makes a path usable as `dataDir`, the directory of the local store.
///
/// What the path says is checked when the configuration is read. What the file system says is asked
/// only once the store has failed to open: it tells a problem that lasts, which a runtime must not
/// retry, from one that may pass (permissions, a full disk), at no cost to an ADD that works.
enum DataDirectory {
    /// Where the store lives inside `dataDir`.
    static func storePath(in dataDir: String) -> String { "\(dataDir)/\(localStoreFileName)" }

    /// Why `path` cannot be a `dataDir`, judged from the text alone; `nil` if it can.
    static func problem(with path: String) -> String? {
        guard isPlainAbsolutePath(path) else {
            return path.utf8.contains(0) ? "contains a NUL byte" : "must be an absolute path without \"..\""
        }
        // The JSON decoder reads invalid UTF-8 as U+FFFD, so the path decoded is not the one written.
        if path.unicodeScalars.contains("\u{FFFD}") {
            return "is not valid UTF-8 (or contains U+FFFD, which stands for invalid UTF-8)"
        }
        if let long = longestComponent(of: path), long > Int(NAME_MAX) {
            return "has a component of \(long) bytes; a file name has at most \(NAME_MAX)"
        }
        let limit = SQLiteStore.maximumPathLength - storePath(in: "").utf8.count
        if path.utf8.count > limit {
            return "is \(path.utf8.count) bytes long; the store inside it needs a dataDir of at most \(limit)"
        }
        return nil
    }

    /// Why the store cannot be kept at `path` until something there changes, or `nil` when the file
    /// system shows no such reason: a component that is not a directory, or a place under `/proc` or
    /// `/sys`, whose file systems hold no files of ours (followed through symbolic links).
    static func lastingProblem(at path: String) -> String? {
        var existing = "/"
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var status = stat()
            guard stat(prefix, &status) == 0 else { break }
            let type = FileType(mode: status.st_mode)
            guard type == .directory else {
                return prefix == path || prefix + "/" == path
                    ? "is \(type), not a directory" : "cannot be created: \(prefix) is \(type), not a directory"
            }
            existing = prefix
        }
        guard let resolved = realpath(existing, nil) else { return nil }
        defer { free(resolved) }
        let top = String(cString: resolved).split(separator: "/").first
        guard let top, top == "proc" || top == "sys" else { return nil }
        return "is under /\(top), which cannot hold a store"
    }

    /// Whether `path` starts with `/` and holds neither a NUL byte nor a `..` component. One walk over
    /// the bytes: splitting the path into components cost a plugin run 20,000 instructions.
    private static func isPlainAbsolutePath(_ path: String) -> Bool {
        guard path.utf8.first == UInt8(ascii: "/") else { return false }
        // How many dots the current component holds so far, or -1 once it holds anything else.
        var dots = 0
        for byte in path.utf8 {
            switch byte {
            case 0: return false
            case UInt8(ascii: "/"):
                guard dots != 2 else { return false }
                dots = 0
            case UInt8(ascii: "."):
                if dots >= 0 { dots += 1 }
            default:
                dots = -1
            }
        }
        return dots != 2
    }

    /// The byte length of the longest component of `path`, or `nil` when it has none.
    private static func longestComponent(of path: String) -> Int? {
        var longest: Int?
        var current = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                current = 0
            } else {
                current += 1
                longest = max(longest ?? 0, current)
            }
        }
        return longest
    }
}
