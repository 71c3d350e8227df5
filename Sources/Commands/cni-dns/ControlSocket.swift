import Glibc

/// The control protocol's unix stream socket.
enum ControlSocket {
    /// Listens at `path`, replacing what is there: whoever holds the lock owns the path, so a socket
    /// left there is a dead instance's.
    static func listen(at path: String) throws(SystemCallError) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw SystemCallError("socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw SystemCallError("bind \(path)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        unlink(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 64) == 0 else {
            let error = SystemCallError("bind \(path)")
            close(descriptor)
            throw error
        }
        chmod(path, 0o600)
        return descriptor
    }
}
