import Glibc

/// Reads a file whose path came from outside the program (a config, the environment), accepting
/// only a regular file of bounded size: `/dev/zero` would be read until memory runs out, opening a
/// FIFO would wait for a writer forever, and a device may act on being opened at all.
public enum RegularFile {
    /// All of the regular file at `path`, if it holds at most `limit` bytes.
    ///
    /// The type is checked before opening, so no device or FIFO is ever opened, and again on the
    /// open descriptor, in case the path was replaced in between; opening non-blocking keeps even
    /// such a replacement from blocking. The size is enforced on what is read, as files change
    /// and `/proc` files report none.
    public static func contents(atPath path: String, limit: Int) throws(FileReadError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileReadError(path: path, problem: .system(Errno(errno))) }
        try requireRegular(info, path: path)
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileReadError(path: path, problem: .system(Errno(errno))) }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { throw FileReadError(path: path, problem: .system(Errno(errno))) }
        try requireRegular(info, path: path)
        guard info.st_size <= limit else { throw FileReadError(path: path, problem: .tooLarge(limit: limit)) }
        let bytes: [UInt8]
        do {
            bytes = try ProcessIO.readAll(descriptor, limit: limit)
        } catch {
            throw FileReadError(path: path, problem: .system(error))
        }
        guard bytes.count <= limit else { throw FileReadError(path: path, problem: .tooLarge(limit: limit)) }
        return bytes
    }

    /// Replaces the file at `path` with `bytes` (mode 0600) by writing a temporary file beside it
    /// and renaming it, so a reader never sees half a file.
    public static func replace(atPath path: String, with bytes: [UInt8]) throws(Errno) {
        let temporary = path + ".\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Errno(errno) }
        let failure = ProcessIO.writeAll(descriptor, bytes)
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let error = Errno(errno)
            unlink(temporary)
            throw error
        }
    }

    private static func requireRegular(_ info: stat, path: String) throws(FileReadError) {
        let type = FileType(mode: info.st_mode)
        guard type == .regular else { throw FileReadError(path: path, problem: .notRegularFile(type)) }
    }
}
