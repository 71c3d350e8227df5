import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Removing one link, returning as soon as it has left its namespace.
///
/// The kernel removes a link in two steps, both inside the system call that asks for it:
/// 1. Under the RTNL lock it takes the link out of the namespace (both ends, for a veth). From then on
///    nobody sees it, its name is free, its addresses and routes are gone, and it is announced as
///    RTM_DELLINK to the namespace's link-event listeners.
/// 2. With the lock released, it waits for every RCU callback queued so far to run (`rcu_barrier`)
///    before freeing the device: 15-40 ms here. Callers of that wait queue behind each other, so two
///    processes removing links at once each wait about twice as long.
///
/// Only the first step is anything a caller can observe. So a detached process sends the request and
/// sits out the second, and this process returns when it reads the link's RTM_DELLINK. The request
/// goes out on the same socket that listens, so a refusal (an error acknowledgement) arrives there
/// too. Several such processes waiting at once also let the kernel share one `rcu_barrier`.
///
/// When no process can be started, or neither message comes within `patience`, the removal is made in
/// this process, the slow way.
struct LinkRemoval {
    /// The link to remove.
    let index: Int
    /// How errors name the removal ("delete link veth1a2b").
    let operation: String
    /// The socket the caller works with: for the fallback, and to check on the link.
    let socket: NetlinkSocket

    init(index: Int, operation: String, on socket: NetlinkSocket) {
        self.index = index
        self.operation = operation
        self.socket = socket
    }

    /// How long to wait for the kernel's word, in milliseconds, before removing the link here instead.
    private static let patience = 2000

    /// What the kernel said about the request.
    private enum Outcome {
        case removed
        case absent
        case refused(errno: Int32)

        /// Decodes `cnl_link_removal_outcome`; `nil` when the messages said nothing about it.
        init?(_ code: Int32) {
            switch code {
            case 0: return nil
            case 1: self = .removed
            case 2: self = .absent
            default: self = .refused(errno: -code)
            }
        }
    }

    /// - Returns: `false` if there was no such link.
    func run() throws -> Bool {
        let link = try allocate("a link") { rtnl_link_alloc() }
        defer { rtnl_link_put(link) }
        rtnl_link_set_ifindex(link, Int32(index))

        let watcher = try NetlinkSocket(besides: socket)
        try watcher.perform("listen to link events") {
            nl_socket_add_membership(watcher.handle, Int32(RTNLGRP_LINK.rawValue))
        }
        var message: OpaquePointer?
        try watcher.perform(operation) { rtnl_link_build_delete_request(link, &message) }
        defer { nlmsg_free(message) }
        nl_complete_msg(watcher.handle, message)
        let header = nlmsg_hdr(message)!
        guard cnl_send_detached(nl_socket_get_fd(watcher.handle), header, Int(header.pointee.nlmsg_len)) == 0 else {
            return try socket.performDelete(operation) { rtnl_link_delete(socket.handle, link) }
        }

        switch try outcome(on: watcher, sequence: header.pointee.nlmsg_seq) {
        case .removed?:
            return true
        case .absent?:
            return false
        case .refused(let code)?:
            throw NetlinkError(operation: operation, libnlCode: 0, kernelErrno: code, kernelMessage: "")
        case nil:
            // The sender may never have run. Whoever removes the link first, it is gone afterwards.
            if try socket.link(index: index) != nil {
                _ = try socket.performDelete(operation) { rtnl_link_delete(socket.handle, link) }
            }
            return true
        }
    }

    /// Reads `watcher` until it says how the removal went, or `patience` has passed (`nil`).
    private func outcome(on watcher: NetlinkSocket, sequence: UInt32) throws -> Outcome? {
        let descriptor = nl_socket_get_fd(watcher.handle)
        let deadline = Self.milliseconds() + Self.patience
        // A link's notification can take a few kilobytes; a datagram larger than the buffer is cut short.
        // Uninitialized, as `recv` fills what it returns: zeroing it cost eight page faults.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32768, alignment: 16)
        defer { buffer.deallocate() }
        while case let left = deadline - Self.milliseconds(), left > 0 {
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, Int32(left))
            if polled < 0, errno == EINTR { continue }
            guard polled > 0 else { return nil }
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                // ENOBUFS: events came faster than they were read and some were dropped, perhaps ours.
                guard code == ENOBUFS else { return nil }
                if try socket.link(index: index) == nil { return .removed }
                continue
            }
            if let said = Outcome(cnl_link_removal_outcome(buffer.baseAddress, Int32(count), Int32(index), sequence)) {
                return said
            }
        }
        return nil
    }

    private static func milliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
