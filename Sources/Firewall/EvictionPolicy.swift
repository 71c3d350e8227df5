/// Which other owners an add may take keys from (see `Firewall.replace`).
///
/// An exclusive add meeting a key that another owner holds is a conflict, and the firewall cannot
/// tell a stale holder from a live one. A caller that can names the roles whose holders may be
/// stale and how to prove that one is gone (its interface no longer exists, say); such a holder
/// loses all its elements to make room. A holder that cannot be proved gone keeps them.
public struct EvictionPolicy {
    /// The roles whose holders of a key the new owner asks for may be evicted.
    public let staleRoles: Set<FirewallOwner.Role>
    private let isGone: (FirewallOwner) throws -> Bool

    /// Every key held by another owner is a conflict.
    public static var never: EvictionPolicy { EvictionPolicy(staleRoles: [], isGone: { _ in false }) }

    /// An owner of one of `roles` holding a key the new owner asks for is evicted when `isGone`
    /// proves that the attachment it belongs to no longer exists.
    public static func holders(of roles: Set<FirewallOwner.Role>,
                               whenGone isGone: @escaping (FirewallOwner) throws -> Bool) -> EvictionPolicy {
        EvictionPolicy(staleRoles: roles, isGone: isGone)
    }

    /// Evicts what either policy evicts, each holder by the proof of the policy naming its role.
    public func adding(_ other: EvictionPolicy) -> EvictionPolicy {
        EvictionPolicy(staleRoles: staleRoles.union(other.staleRoles)) { [self] holder in
            try (staleRoles.contains(holder.role) && isGone(holder))
                || (other.staleRoles.contains(holder.role) && other.isGone(holder))
        }
    }

    private init(staleRoles: Set<FirewallOwner.Role>, isGone: @escaping (FirewallOwner) throws -> Bool) {
        self.staleRoles = staleRoles
        self.isGone = isGone
    }

    /// Whether `holder`, found holding a key that `owner` asks for, is stale. An owner never
    /// evicts itself.
    func evicts(_ holder: FirewallOwner, for owner: FirewallOwner) throws -> Bool {
        try holder != owner && staleRoles.contains(holder.role) && isGone(holder)
    }
}
