import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// How `deleteLink` waits for the kernel to remove a link.
///
/// The kernel removes a link in two steps, both inside the system call that asks for it:
/// 1. Under the RTNL lock it takes the link out of the namespace (both ends, for a veth). From then on
///    nobody sees it, its name is free, its addresses and routes are gone, and it is announced as
///    RTM_DELLINK to the namespace's link-event listeners.
/// 2. With the lock released, it waits for every RCU callback queued so far to run (`rcu_barrier`)
///    before freeing the device: 15-40 ms here. Callers of that wait queue behind each other, so two
///    processes removing links at once each wait about twice as long.
///
/// Only the first step is anything a caller can observe.
public enum LinkRemovalStrategy: Sendable {
    /// This process sends the request and waits out both steps. Nothing is started: what a
    /// long-running process uses, or one whose caller does not wait for it to exit.
    case inProcess
    /// A detached process, `cni-link-del`, sends the request and sits out the second step, while this
    /// one returns when it reads the link's RTM_DELLINK. Several such processes waiting at once let
    /// the kernel share one `rcu_barrier`. For a short-lived process whose caller waits for it (a
    /// plugin): it forks twice per deletion.
    ///
    /// The detached process inherits every descriptor but standard input, output and error, and
    /// holds them until the kernel has freed the link (see `cnl_send_detached`). When no process can
    /// be started, or the kernel's word does not come within two seconds, the link is removed in
    /// this process instead.
    case detached
}

/// Removing one link with a `LinkRemovalStrategy`, returning once it has left its namespace.
///
/// For `.detached`, the request goes out on the same socket that listens for link events, so a
/// refusal (an error acknowledgement) arrives there too.
struct LinkRemoval {
    /// The link to remove.
    let index: Int
    /// How errors name the removal ("delete link veth1a2b").
    let operation: String
    /// The socket the caller works with: for in-process removal, and to check on the link.
    let socket: NetlinkSocket
    let strategy: LinkRemovalStrategy

    init(index: Int, operation: String, on socket: NetlinkSocket, strategy: LinkRemovalStrategy) {
        self.index = index
        self.operation = operation
        self.socket = socket
        self.strategy = strategy
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
        switch strategy {
        case .inProcess: return try removeHere(link)
        case .detached: return try removeDetached(link)
        }
    }

    private func removeHere(_ link: OpaquePointer) throws -> Bool {
        try socket.performDelete(operation) { rtnl_link_delete(socket.handle, link) }
    }

    private func removeDetached(_ link: OpaquePointer) throws -> Bool {
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
            return try removeHere(link)
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
                _ = try removeHere(link)
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
