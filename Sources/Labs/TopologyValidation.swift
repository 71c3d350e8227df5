import Addressing

extension Topology {
    /// A reference that does not resolve, or two objects that would collide.
    public struct Refusal: Equatable, Sendable {
        public let field: String
        public let problem: String
    }

    /// Every link end in the file with its field path, bridges first: what references resolve against.
    var linkEnds: [(field: String, end: LinkEnd)] {
        bridges.enumerated().map { ("bridges[\($0.offset)]", $0.element) }
            + veths.enumerated().flatMap { [("veths[\($0.offset)].a", $0.element.a), ("veths[\($0.offset)].b", $0.element.b)] }
            + vxlans.enumerated().map { ("vxlans[\($0.offset)]", $0.element.link) }
    }

    /// The first reference that does not resolve: a namespace the lab does not declare, a master that is no
    /// bridge of the lab in the same namespace, a name used twice in one namespace, a route through an
    /// unknown link. Checked before anything touches the kernel.
    public func problem() -> Refusal? {
        let declared = Set(namespaces)
        var seenNamespaces = Set<NamespaceName>()
        for (index, namespace) in namespaces.enumerated() where !seenNamespaces.insert(namespace).inserted {
            return Refusal(field: "namespaces[\(index)]", problem: "\"\(namespace)\" is declared twice")
        }
        func unknown(_ namespace: NamespaceName?, _ field: String) -> Refusal? {
            guard let namespace, !declared.contains(namespace) else { return nil }
            return Refusal(field: "\(field).namespace",
                           problem: "\"\(namespace)\" is not among the lab's namespaces (add it to \"namespaces\")")
        }
        struct Place: Hashable { let namespace: NamespaceName?; let name: InterfaceName }
        var names = Set<Place>()
        let bridgeNames = Set(bridges.map { Place(namespace: $0.namespace, name: $0.name) })
        for (field, end) in linkEnds {
            if let refusal = unknown(end.namespace, field) { return refusal }
            guard names.insert(Place(namespace: end.namespace, name: end.name)).inserted else {
                return Refusal(field: "\(field).name", problem: "\"\(end.name)\" is used twice in \(Self.place(end.namespace))")
            }
            if let master = end.master, !bridgeNames.contains(Place(namespace: end.namespace, name: master)) {
                return Refusal(field: "\(field).master",
                               problem: "\"\(master)\" is not a bridge of the lab in \(Self.place(end.namespace))")
            }
            if let mtu = end.mtu, !(68...65535).contains(mtu) {
                return Refusal(field: "\(field).mtu", problem: "\(mtu) is not an MTU (68 to 65535)")
            }
        }
        for (index, vxlan) in vxlans.enumerated() {
            if vxlan.vni > 16_777_215 {
                return Refusal(field: "vxlans[\(index)].vni", problem: "\(vxlan.vni) does not fit in 24 bits")
            }
            if vxlan.remote == nil {
                return Refusal(field: "vxlans[\(index)].remote", problem: "missing: the other end's underlay address")
            }
        }
        for (index, route) in routes.enumerated() {
            if let refusal = unknown(route.namespace, "routes[\(index)]") { return refusal }
            if route.via == nil && route.dev == nil {
                return Refusal(field: "routes[\(index)]", problem: "a route needs \"via\", \"dev\" or both")
            }
            if let via = route.via, via.family != route.to.family {
                return Refusal(field: "routes[\(index)].via", problem: "\(via) is not of the family of \(route.to)")
            }
            if let dev = route.dev, route.namespace != nil, !names.contains(Place(namespace: route.namespace, name: dev)) {
                return Refusal(field: "routes[\(index)].dev", problem: "\"\(dev)\" is not a link of the lab in \(Self.place(route.namespace))")
            }
        }
        for (index, sysctl) in sysctls.enumerated() {
            if let refusal = unknown(sysctl.namespace, "sysctls[\(index)]") { return refusal }
        }
        return nil
    }

    /// "namespace lab-a", "the host namespace": for messages.
    public static func place(_ namespace: NamespaceName?) -> String {
        namespace.map { "namespace \($0)" } ?? "the host namespace"
    }

    /// "lab-a", "host": for progress lines and tables.
    public static func shortPlace(_ namespace: NamespaceName?) -> String {
        namespace?.rawValue ?? "host"
    }
}
