import Glibc
import TLS

/// An authentication token kept in a file between processes. etcd checks a password with bcrypt,
/// which costs its server tens to hundreds of milliseconds of CPU per authentication; a plugin is a
/// new process for every ADD and DEL, so without this each would pay it again. A simple token stays
/// valid while it is used at least every five minutes; an expired or revoked one is answered with
/// "invalid auth token", and the client then authenticates anew and replaces the file.
///
/// The file holds a SHA-256 of the user's name and password (so a token is used only with the
/// credentials that obtained it, never in place of a wrong password) and the token. It is written
/// with mode 0600 and replaced atomically, and read only when it is a regular file of this user's
/// that nobody else may read or write.
struct EtcdTokenFile {
    let path: String
    /// Names the credentials without holding them.
    let credentials: String

    init(path: String, user: String, password: String) {
        self.path = path
        credentials = SHA256.hex(Array(user.utf8) + [0] + Array(password.utf8))
    }

    /// The token kept for these credentials, if any.
    func load() -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_uid == geteuid(),
              status.st_mode & 0o077 == 0, status.st_size < 4096 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        guard bytes.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) == bytes.count else { return nil }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count >= 2, String(decoding: lines[0], as: UTF8.self) == credentials, !lines[1].isEmpty else { return nil }
        return String(decoding: lines[1], as: UTF8.self)
    }

    /// Keeps `token` for these credentials. Best effort: a directory that cannot hold the file costs the next
    /// process an authentication, nothing more.
    func save(_ token: String) {
        let temporary = "\(path).\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array("\(credentials)\n\(token)\n".utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
        if written != bytes.count || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
