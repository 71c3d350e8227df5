import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// An RTNETLINK socket: every link, address, route and neighbour operation goes through one.
///
/// A socket works on the network namespace it was opened in, for its whole life, whichever namespace
/// the calling thread is in later. Open one per namespace and reuse it for all the work there; each
/// call is one request and its answer, with no caches.
///
/// Not thread-safe: use a socket from one thread at a time (it is deliberately not `Sendable`).
public final class NetlinkSocket {
    /// The libnl socket (`struct nl_sock *`).
    let handle: OpaquePointer
    /// Where the error handler installed on `handle` records what the kernel said about the last failure.
    private let lastKernelError: UnsafeMutablePointer<cnl_kernel_error>

    /// Opens a socket on the calling thread's current network namespace.
    public convenience init() throws {
        self.init(handle: try NetlinkSocket.connect())
    }

    /// Opens a socket on `namespace`, without moving the calling thread: the thread enters the namespace
    /// only while the socket is created.
    public convenience init(in namespace: NetworkNamespace) throws {
        self.init(handle: try namespace.run { try NetlinkSocket.connect() })
    }

    /// Opens another socket on the namespace `other` works on.
    convenience init(besides other: NetlinkSocket) throws {
        try self.init(in: other.namespace())
    }

    /// The namespace this socket works on.
    func namespace() throws -> NetworkNamespace {
        try NetworkNamespace.of(socket: nl_socket_get_fd(handle))
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
        lastKernelError = .allocate(capacity: 1)
        lastKernelError.initialize(to: cnl_kernel_error())
        cnl_capture_errors(handle, lastKernelError)
    }

    deinit {
        nl_socket_free(handle)
        lastKernelError.deallocate()
    }

    /// A connected libnl socket; the kernel binds it to the calling thread's namespace.
    private static func connect() throws -> OpaquePointer {
        let handle = try allocate("a netlink socket") { nl_socket_alloc() }
        let connected = nl_connect(handle, NETLINK_ROUTE)
        guard connected >= 0 else {
            nl_socket_free(handle)
            throw NetlinkError(operation: "open an rtnetlink socket", libnlCode: connected,
                               kernelErrno: 0, kernelMessage: "")
        }
        return handle
    }

    /// Runs a delete request like `perform`, reporting `false` when the kernel had nothing to delete:
    /// deleting what is already gone is not an error here.
    func performDelete(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws -> Bool {
        do {
            try perform(operation(), call)
            return true
        } catch NetlinkError.notFound {
            return false
        }
    }

    /// Runs one libnl call and turns a negative result into a `NetlinkError` describing `operation`.
    @discardableResult
    func perform(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws -> Int32 {
        lastKernelError.pointee.error = 0
        let result = call()
        guard result < 0 else { return result }
        let kernelMessage = withUnsafeBytes(of: lastKernelError.pointee.message) {
            String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        throw NetlinkError(operation: operation(), libnlCode: result,
                           kernelErrno: lastKernelError.pointee.error, kernelMessage: kernelMessage)
    }

    /// Sends a message built with the `nl_msg` API and waits for the kernel's acknowledgement.
    /// `message` is consumed.
    func send(_ message: OpaquePointer, _ operation: @autoclosure () -> String) throws {
        try perform(operation()) { nl_send_sync(handle, message) }
    }

    /// Dumps a libnl cache filled by `fill` and maps each object with `transform`, skipping `nil`s.
    func dump<T>(_ operation: @autoclosure () -> String,
                 fill: (UnsafeMutablePointer<OpaquePointer?>) -> Int32,
                 _ transform: (OpaquePointer) throws -> T?) throws -> [T] {
        var cache: OpaquePointer?
        defer { if let cache { nl_cache_free(cache) } }
        try perform(operation()) { fill(&cache) }
        var results: [T] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            if let value = try transform(current) { results.append(value) }
            object = nl_cache_get_next(current)
        }
        return results
    }
}

/// Allocates a libnl object, failing with a `NetlinkError` instead of returning `nil`.
func allocate(_ what: String, _ allocator: () -> OpaquePointer?) throws -> OpaquePointer {
    guard let object = allocator() else {
        throw NetlinkError.library(operation: "allocate \(what)", code: NLE_NOMEM,
                                   message: String(cString: nl_geterror(-NLE_NOMEM)))
    }
    return object
}
