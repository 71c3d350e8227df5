import Addressing

/// One thing `lab up` made, as its state file records it: what `down` removes, and nothing else.
///
/// Links and namespaces are recorded by name; a link is removed only while it still carries the lab's
/// alias. A host sysctl carries the value it had before, which `down` puts back unless someone changed it
/// from the lab's value since.
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

    static func namespace(_ name: NamespaceName) -> LabObject { LabObject(kind: .namespace, name: name.rawValue) }
    static func link(_ end: LinkEnd) -> LabObject { LabObject(kind: .link, name: end.name.rawValue, namespace: end.namespace) }
    static func route(_ route: RouteSpec) -> LabObject { LabObject(kind: .route, namespace: route.namespace, route: route) }
    static func sysctl(_ key: String, previous: String, value: String) -> LabObject {
        LabObject(kind: .sysctl, name: key, previous: previous, value: value)
    }
    static let masquerading = LabObject(kind: .masquerade)

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
