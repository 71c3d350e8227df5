import Glibc

/// The lock a daemon holds with `flock` for its whole life, so that of the instances started for
/// one file (by concurrent plugins, say) exactly one runs and the others exit at once. The kernel
/// releases it when the holder dies, however it dies.
public struct InstanceLock: Sendable {
    /// The open lock file; closing it (at exit) releases the lock.
    public let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Takes the lock at `path`, creating the file, without waiting.
    ///
    /// - Returns: `nil` if another process holds it.
    public static func acquire(_ path: String) throws(Errno) -> InstanceLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Errno(errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw Errno(code)
        }
        return InstanceLock(descriptor: descriptor)
    }

    /// Whether some process holds the lock at `path` right now.
    public static func isHeld(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(descriptor, LOCK_UN)
        return false
    }

    /// Writes `pid` into the lock file, replacing its content, so that people and tests can tell
    /// which process holds it.
    public func record(pid: pid_t) {
        let text = Array("\(pid)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }
}
