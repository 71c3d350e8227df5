/// Which other owners an add may take keys from (see `Firewall.replace`).
///
/// An exclusive add meeting a key that another owner holds is a conflict, and the firewall cannot
/// tell a stale holder from a live one. A caller that can (say, because the key is an address its
/// address management has handed out again, so whoever still holds it has lost its lease) names
/// the roles whose holders are stale then; such a holder loses all its elements to make room.
public struct EvictionPolicy: Hashable, Sendable {
    /// The roles whose holders of a key the new owner asks for are stale.
    public let staleRoles: Set<FirewallOwner.Role>

    /// Every key held by another owner is a conflict.
    public static let never = EvictionPolicy(staleRoles: [])

    /// An owner of one of `roles` holding a key the new owner asks for is stale.
    public static func holders(of roles: Set<FirewallOwner.Role>) -> EvictionPolicy {
        EvictionPolicy(staleRoles: roles)
    }

    private init(staleRoles: Set<FirewallOwner.Role>) {
        self.staleRoles = staleRoles
    }

    /// Whether `holder`, found holding a key that `owner` asks for, is stale. An owner never
    /// evicts itself.
    func evicts(_ holder: FirewallOwner, for owner: FirewallOwner) -> Bool {
        holder != owner && staleRoles.contains(holder.role)
    }
}
