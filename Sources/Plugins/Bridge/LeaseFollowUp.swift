import Addressing
import CNI
import Stores

/// What a bridge ADD has settled once IPAM has leased: what work beside the attachment needs.
public struct BridgeLease {
    /// The leased addresses, as the result reports them (none without IPAM).
    public let ips: [CNIResult.IPConfig]
    /// The container interface's MAC address.
    public let containerMAC: MACAddress
    /// The store in-process IPAM leased in (`nil` when IPAM is delegated or absent): work that writes
    /// to the same store can use its kept-alive connection.
    public let store: OpenedStore?
}

/// Work a plugin built on the bridge attachment does beside it once the lease is known, such as a
/// write to a store sent before the kernel work (the veth pair, addresses, routes, firewall) and
/// answered after it, so that the store's commit and the kernel work overlap.
public struct LeaseFollowUp {
    let start: (BridgeLease) throws -> Started

    /// - Parameter start: called on the ADD's thread, in the host's namespace, once the lease is
    ///   known and before the kernel work; starts the work and says how to end it. An error fails
    ///   the ADD (rolling back).
    public init(start: @escaping (BridgeLease) throws -> Started) {
        self.start = start
    }

    /// Work under way.
    public struct Started {
        let finish: () throws -> Void
        let undo: () -> Void

        /// - Parameters:
        ///   - finish: called once the kernel work is done, before the ADD returns: waits for the
        ///     work to end; an error fails the ADD (rolling back).
        ///   - undo: called when the ADD fails, whether `finish` was called or not, before the lease
        ///     is released: takes back whatever the work did. Best effort, like every undo step.
        public init(finish: @escaping () throws -> Void, undo: @escaping () -> Void) {
            self.finish = finish
            self.undo = undo
        }
    }
}
