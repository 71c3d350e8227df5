import Addressing
import CNI
import POSIX
import Stores

/// What a bridge ADD has settled once IPAM has leased: what work beside the attachment needs.
public struct BridgeLease {
    /// The leased addresses, as the result reports them (none without IPAM).
    public let ips: [CNIResult.IPConfig]
    /// The container interface's MAC address.
    public let containerMAC: MACAddress
    /// The store in-process IPAM leased in (`nil` when IPAM is delegated or absent): work that writes
    /// to the same store can use its kept-alive connection, which nothing else uses until it ends.
    public let store: OpenedStore?
}

/// Work a plugin built on the bridge attachment does beside it once the lease is known, such as
/// writing a record to a store: its round trips overlap the kernel work (the veth pair, addresses,
/// routes, firewall) instead of following it.
public struct LeaseFollowUp {
    let run: (BridgeLease) throws -> Void
    let undo: (BridgeLease) -> Void

    /// - Parameters:
    ///   - run: runs on a thread of its own, in the host's network namespace, while the ADD attaches
    ///     the container; the ADD returns once it has ended, and fails (rolling back) if it throws.
    ///   - undo: runs when the ADD fails, once `run` has ended however it ended, before the lease is
    ///     released: takes back whatever `run` may have done. Best effort, like every undo step.
    public init(run: @escaping (BridgeLease) throws -> Void, undo: @escaping (BridgeLease) -> Void) {
        self.run = run
        self.undo = undo
    }

    /// Starts `run` on its thread. Called while the calling thread is in the host's namespace, which
    /// the new thread starts in (namespaces are per thread).
    func start(_ lease: BridgeLease) throws -> Running {
        let run = self.run
        do {
            return Running(task: try ThreadTask { try run(lease) }, lease: lease, undo: undo)
        } catch {
            throw CNIError(.tryAgainLater, "cannot start a thread: \(error)")
        }
    }

    struct Running {
        let task: ThreadTask<Void>
        let lease: BridgeLease
        let undo: (BridgeLease) -> Void

        /// Waits for `run` and rethrows its error.
        func finish() throws { try task.wait() }

        func rollBack() {
            _ = try? task.wait()
            undo(lease)
        }
    }
}
