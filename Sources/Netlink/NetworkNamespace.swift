import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// An open handle on a network namespace, such as a container's `CNI_NETNS`.
///
/// Holding the handle keeps the namespace alive even if its `/run/netns` entry is removed. Entering it
/// (`run`) affects only the calling thread, because `setns(2)` is per thread.
public final class NetworkNamespace: Sendable, CustomStringConvertible {
    /// How the kernel identifies a namespace: the device and inode of its nsfs file. Two handles refer
    /// to the same namespace exactly when their identities are equal.
    public struct Identity: Hashable, Sendable {
        public let device: UInt64
        public let inode: UInt64
    }

    /// The path this handle was opened from.
    public let path: String
    public let identity: Identity
    /// The file descriptor, valid for the lifetime of this object; netlink attributes such as
    /// `IFLA_NET_NS_FD` take it.
    let descriptor: Int32

    /// The namespace's inode number, as `ls -i` or `lsns` show it.
    public var inode: UInt64 { identity.inode }

    public var description: String { "\(path) [net:\(inode)]" }

    private init(path: String, descriptor: Int32, identity: Identity) {
        self.path = path
        self.descriptor = descriptor
        self.identity = identity
    }

    deinit {
        close(descriptor)
    }

    /// Opens the namespace at `path` (`/run/netns/<name>`, `/proc/<pid>/ns/net`, ...).
    ///
    /// Opened non-blocking: a FIFO at `path` would otherwise block the open until a writer comes.
    /// Namespace files are regular files of nsfs; anything else is refused before the namespace
    /// ioctl could reach a device's driver.
    ///
    /// - Throws: `NetlinkError.namespaceNotFound` if nothing is at `path`,
    ///   `NetlinkError.notANetworkNamespace` if something else is.
    public static func open(path: String) throws -> NetworkNamespace {
        let descriptor = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw NetlinkError.namespaceNotFound(path: path) }
            throw NetlinkError.system("open network namespace \(path)", errno: code)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw NetlinkError.system("stat network namespace \(path)", errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw NetlinkError.notANetworkNamespace(path: path)
        }
        switch cnl_is_network_namespace(descriptor) {
        case 1:
            break
        case 0:
            close(descriptor)
            throw NetlinkError.notANetworkNamespace(path: path)
        default:
            let code = errno
            close(descriptor)
            throw NetlinkError.system("inspect network namespace \(path)", errno: code)
        }
        return NetworkNamespace(path: path, descriptor: descriptor,
                                identity: Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
    }

    /// The namespace the socket `descriptor` works on, whichever namespace the calling thread is in.
    static func of(socket descriptor: Int32) throws -> NetworkNamespace {
        let namespace = cnl_socket_namespace(descriptor)
        guard namespace >= 0 else {
            throw NetlinkError.system("find the network namespace of socket \(descriptor)", errno: errno)
        }
        defer { close(namespace) }
        return try open(path: "/proc/self/fd/\(namespace)")
    }

    /// The namespace the calling thread is in now.
    public static func current() throws -> NetworkNamespace {
        try open(path: "/proc/thread-self/ns/net")
    }

    public func isSame(as other: NetworkNamespace) -> Bool {
        identity == other.identity
    }

    /// Runs `body` on the calling thread with that thread inside this namespace, then returns the thread
    /// to the namespace it was in, whether `body` returns or throws.
    ///
    /// Other threads are unaffected. `body` must be synchronous: anything it hands to another thread or
    /// task runs in that thread's namespace, not this one. Sockets opened inside stay bound to this
    /// namespace after `run` returns, which is how `NetlinkSocket(in:)` works.
    ///
    /// If the thread cannot return to its original namespace the process stops, since carrying on would
    /// apply later work to the wrong namespace.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let home = try NetworkNamespace.current()
        if home.isSame(as: self) { return try body() }
        guard cnl_setns_net(descriptor) == 0 else {
            throw NetlinkError.system("enter network namespace \(path)", errno: errno)
        }
        defer {
            if cnl_setns_net(home.descriptor) != 0 {
                let reason = String(cString: strerror(errno))
                fatalError("cannot return this thread to network namespace \(home) from \(self): \(reason)")
            }
        }
        return try body()
    }
}
