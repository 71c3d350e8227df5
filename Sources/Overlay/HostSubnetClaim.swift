import Addressing
import Identity
import KV

/// Leasing a host subnet of a routed overlay: one create-if-absent transaction on the subnet's key,
/// attached to the host agent's lease, so the subnet goes back to the pool when the agent stops for
/// longer than its TTL. A host that already holds one (its key still there) gets the same one back.
public enum HostSubnetClaim {
    /// Claims for `host` a subnet of `pool` on network `network`, publishing `record(subnet)` on
    /// `lease`: the host's own subnet if the store still has it (rewritten, since the VTEP or the
    /// device's MAC may have changed), else `preferred` if free, else the first free one.
    ///
    /// - Throws: `HostSubnetClaimError.exhausted` when every host subnet is taken.
    public static func claim(host: String, network: NetworkName, pool: HostSubnetPool, preferred: Subnet?,
                             lease: LeaseID, in store: any KeyValueStore,
                             record: (Subnet) -> HostSubnetRecord) throws -> HostSubnetRecord {
        // Each round loses at most to a concurrent claim of the subnet it chose, so it ends.
        while true {
            var taken = Set<Subnet>()
            var own: (key: String, revision: Int64, record: HostSubnetRecord)?
            for stored in try store.range(prefix: OverlayKeys.subnets(of: network)).kvs {
                guard let existing = HostSubnetRecord(stored: stored.value) else { continue }
                taken.insert(existing.subnet)
                if existing.host == host, pool.contains(existing.subnet), own == nil {
                    own = (stored.key, stored.modRevision, existing)
                }
            }
            let chosen: Subnet
            let compare: Compare
            if let own {
                chosen = own.record.subnet
                compare = .modRevision(own.key, .equal, own.revision)
            } else {
                guard let free = pool.choose(taken: taken, preferred: preferred) else {
                    throw HostSubnetClaimError.exhausted(pool)
                }
                chosen = free
                compare = .absent(OverlayKeys.subnet(free, of: network))
            }
            let claimed = record(chosen)
            let key = OverlayKeys.subnet(chosen, of: network)
            if try store.commit(Transaction(compares: [compare],
                                            success: [.leasedPut(key, try claimed.encoded(), lease: lease)])).succeeded {
                return claimed
            }
        }
    }
}

public enum HostSubnetClaimError: Error, CustomStringConvertible {
    case exhausted(HostSubnetPool)

    public var description: String {
        switch self {
        case .exhausted(let pool):
            "every /\(pool.hostPrefix) of \(pool.network) is leased by a host (\(pool.count) hosts)"
        }
    }
}
