import Glibc
import KV
import POSIX

/// What makes a path usable as `dataDir`, the directory of the local store.
///
/// What the path says is checked when the configuration is read. What the file system says is asked
/// only once the store has failed to open: it tells a problem that lasts, which a runtime must not
/// retry, from one that may pass (permissions, a full disk), at no cost to an ADD that works.
enum DataDirectory {
    /// Where the store lives inside `dataDir`.
    static func storePath(in dataDir: String) -> String { "\(dataDir)/\(IPAMService.storeFileName)" }

    /// `path`, if it names a directory plainly and leaves room for the store inside it.
    static func validated(_ path: String) throws -> String {
        if let problem = problem(with: path) {
            throw IPAMError.invalidConfig("dataDir \"\(path)\" \(problem)")
        }
        return path
    }

    /// Why `path` cannot be a `dataDir`, judged from the text alone; `nil` if it can.
    static func problem(with path: String) -> String? {
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            return "must be an absolute path without \"..\""
        }
        if path.utf8.contains(0) { return "contains a NUL byte" }
        // The JSON decoder reads invalid UTF-8 as U+FFFD, so the path decoded is not the one written.
        if path.unicodeScalars.contains("\u{FFFD}") {
            return "is not valid UTF-8 (or contains U+FFFD, which stands for invalid UTF-8)"
        }
        if let long = path.split(separator: "/").first(where: { $0.utf8.count > Int(NAME_MAX) }) {
            return "has a component of \(long.utf8.count) bytes; a file name has at most \(NAME_MAX)"
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
}
