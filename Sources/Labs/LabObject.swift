import Addressing

/// One thing `lab up` made, or was about to make, as its state file records it: what `down` removes, and
/// nothing else.
///
/// Recorded write-ahead: as `intended` before `up` makes it, so a crash at any point leaves a record of
/// everything that may exist. Links and namespaces are recorded by name and removed only while they carry
/// the lab's tag (a link's alias, the alias of a namespace's `lo`), which they have from the moment their
/// name does; a link is made under a `staging` name of its own first. A host sysctl carries the value it had
/// before, which `down` puts back unless someone changed it from the lab's value since.
public struct LabObject: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case namespace, link, route, sysctl, masquerade
    }

    public var kind: Kind
    /// The namespace's or link's name, or the sysctl key.
    public var name: String?
    /// Where a link, route or sysctl is; the host namespace when `nil`.
    public var namespace: NamespaceName?
    /// A sysctl's value before the lab set it, and the value the lab set.
    public var previous: String?
    public var value: String?
    public var route: RouteSpec?
    /// The name a link is made under before it is tagged and renamed: random, so a link by that name is
    /// the lab's even untagged.
    public var staging: String?
    /// `true` from just before `up` makes the object until it is made. Such an object may not exist, or may
    /// exist only under its staging name, and whatever has its name may be someone else's.
    public var intended: Bool?

    public var isIntended: Bool { intended == true }

    static func namespace(_ name: NamespaceName) -> LabObject { LabObject(kind: .namespace, name: name.rawValue) }
    static func link(_ end: LinkEnd, staging: InterfaceName? = nil) -> LabObject {
        LabObject(kind: .link, name: end.name.rawValue, namespace: end.namespace, staging: staging?.rawValue)
    }
    static func route(_ route: RouteSpec) -> LabObject { LabObject(kind: .route, namespace: route.namespace, route: route) }
    static func sysctl(_ key: String, previous: String, value: String) -> LabObject {
        LabObject(kind: .sysctl, name: key, previous: previous, value: value)
    }
    static let masquerading = LabObject(kind: .masquerade)

    /// Whether `other` records the same object, made or only intended.
    func isSame(as other: LabObject) -> Bool {
        kind == other.kind && name == other.name && namespace == other.namespace && route == other.route
    }

    public var description: String {
        let place = Topology.place(namespace)
        switch kind {
        case .namespace: return "namespace \(name ?? "?")"
        case .link: return "link \(name ?? "?") in \(place)"
        case .route: return "route \(route.map { "\($0.to)" } ?? "?") in \(place)"
        case .sysctl: return "sysctl \(name ?? "?") (back to \(previous ?? "?"))"
        case .masquerade: return "masquerading"
        }
    }
}
