import Addressing

/// A lab: namespaces and the links, addresses, routes, sysctls and masquerading between them, as a
/// topology file declares them. Values are validated as they are decoded (`TopologyFile` loads one);
/// references between them (a link's namespace, a port's bridge) by `validate()`.
public struct Topology: Sendable, Equatable {
    /// What tags every object the lab makes, and names its state file.
    public var name: LabName
    /// Namespaces to create, pinned under /run/netns as `ip netns add` pins them.
    public var namespaces: [NamespaceName]
    public var bridges: [BridgeSpec]
    public var veths: [VethSpec]
    public var vxlans: [VxlanSpec]
    public var routes: [RouteSpec]
    public var sysctls: [SysctlSpec]
    /// Subnets whose lab addresses are masqueraded when their traffic leaves the subnet through the host,
    /// as Docker does for docker0.
    public var masquerade: [Subnet]

    public init(name: LabName, namespaces: [NamespaceName] = [], bridges: [BridgeSpec] = [], veths: [VethSpec] = [],
                vxlans: [VxlanSpec] = [], routes: [RouteSpec] = [], sysctls: [SysctlSpec] = [], masquerade: [Subnet] = []) {
        self.name = name
        self.namespaces = namespaces
        self.bridges = bridges
        self.veths = veths
        self.vxlans = vxlans
        self.routes = routes
        self.sysctls = sysctls
        self.masquerade = masquerade
    }
}

/// One end of a link as the lab configures it: its name, namespace, addresses, bridge, MTU.
public struct LinkEnd: Sendable, Equatable, Codable {
    public var name: InterfaceName
    public var namespace: NamespaceName?
    public var addresses: [InterfaceAddress]
    /// A bridge in the same namespace to attach to.
    public var master: InterfaceName?
    public var mtu: Int?

    public init(name: InterfaceName, namespace: NamespaceName? = nil, addresses: [InterfaceAddress] = [],
                master: InterfaceName? = nil, mtu: Int? = nil) {
        self.name = name
        self.namespace = namespace
        self.addresses = addresses
        self.master = master
        self.mtu = mtu
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(name: container.decode(InterfaceName.self, forKey: .name),
                      namespace: container.decodeIfPresent(NamespaceName.self, forKey: .namespace),
                      addresses: container.decodeIfPresent([InterfaceAddress].self, forKey: .addresses) ?? [],
                      master: container.decodeIfPresent(InterfaceName.self, forKey: .master),
                      mtu: container.decodeIfPresent(Int.self, forKey: .mtu))
    }

    static let fields: Set<String> = ["name", "namespace", "addresses", "master", "mtu"]
}

/// A Linux bridge: `ip link add NAME type bridge`, with its addresses.
public typealias BridgeSpec = LinkEnd

/// A veth pair: its two ends, each in its namespace.
public struct VethSpec: Sendable, Equatable, Codable {
    public var a: LinkEnd
    public var b: LinkEnd

    public init(a: LinkEnd, b: LinkEnd) {
        self.a = a
        self.b = b
    }
}

/// A VXLAN link: the tunnel end in its namespace, sending to `remote` from `local` over `device`.
public struct VxlanSpec: Sendable, Equatable, Codable {
    public var link: LinkEnd
    public var vni: UInt32
    public var remote: IPAddress?
    public var local: IPAddress?
    public var port: UInt16?
    /// The underlay link whose addresses carry the outer packets.
    public var device: InterfaceName?

    public init(link: LinkEnd, vni: UInt32, remote: IPAddress? = nil, local: IPAddress? = nil, port: UInt16? = nil,
                device: InterfaceName? = nil) {
        self.link = link
        self.vni = vni
        self.remote = remote
        self.local = local
        self.port = port
        self.device = device
    }

    /// Flat in the file: the link's own fields beside the tunnel's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(link: LinkEnd(from: decoder), vni: container.decode(UInt32.self, forKey: .vni),
                      remote: container.decodeIfPresent(IPAddress.self, forKey: .remote),
                      local: container.decodeIfPresent(IPAddress.self, forKey: .local),
                      port: container.decodeIfPresent(UInt16.self, forKey: .port),
                      device: container.decodeIfPresent(InterfaceName.self, forKey: .device))
    }

    public func encode(to encoder: any Encoder) throws {
        try link.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vni, forKey: .vni)
        try container.encodeIfPresent(remote, forKey: .remote)
        try container.encodeIfPresent(local, forKey: .local)
        try container.encodeIfPresent(port, forKey: .port)
        try container.encodeIfPresent(device, forKey: .device)
    }

    private enum CodingKeys: String, CodingKey { case vni, remote, local, port, device }

    static let fields = LinkEnd.fields.union(["vni", "remote", "local", "port", "device"])
}

/// A route in a namespace: `to` (a subnet, or `default`) `via` a gateway and/or through `dev`.
public struct RouteSpec: Sendable, Equatable, Codable {
    public var namespace: NamespaceName?
    public var to: Subnet
    public var via: IPAddress?
    public var dev: InterfaceName?

    public init(namespace: NamespaceName? = nil, to: Subnet, via: IPAddress? = nil, dev: InterfaceName? = nil) {
        self.namespace = namespace
        self.to = to
        self.via = via
        self.dev = dev
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let via = try container.decodeIfPresent(IPAddress.self, forKey: .via)
        let destination: Subnet
        if try container.decode(String.self, forKey: .to) == "default" {
            guard let family = via?.family else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.to],
                    debugDescription: "a default route needs \"via\", which says its address family"))
            }
            destination = .defaultRoute(family)
        } else {
            destination = try container.decode(Subnet.self, forKey: .to)
        }
        try self.init(namespace: container.decodeIfPresent(NamespaceName.self, forKey: .namespace), to: destination,
                      via: via, dev: container.decodeIfPresent(InterfaceName.self, forKey: .dev))
    }

    static let fields: Set<String> = ["namespace", "to", "via", "dev"]
}

/// A kernel parameter under /proc/sys (`net/ipv4/ip_forward`, dots accepted as `sysctl` writes them) in a
/// namespace, or on the host when `namespace` is left out.
public struct SysctlSpec: Sendable, Equatable, Codable {
    public var namespace: NamespaceName?
    public var key: String
    public var value: String

    public init(namespace: NamespaceName? = nil, key: String, value: String) {
        self.namespace = namespace
        self.key = key
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let key = try container.decode(String.self, forKey: .key)
        let path = key.contains("/") ? key : key.replacingDots()
        guard !path.isEmpty, path.split(separator: "/", omittingEmptySubsequences: false)
            .allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.key],
                debugDescription: "\"\(key)\" is not a sysctl key like net.ipv4.ip_forward"))
        }
        // A number in YAML or JSON is as good as its text: `value: 1`.
        let value: String
        if let text = try? container.decode(String.self, forKey: .value) {
            value = text
        } else {
            value = String(try container.decode(Int.self, forKey: .value))
        }
        self.init(namespace: try container.decodeIfPresent(NamespaceName.self, forKey: .namespace), key: path, value: value)
    }

    static let fields: Set<String> = ["namespace", "key", "value"]
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}

extension Topology: Codable {
    private enum CodingKeys: String, CodingKey { case name, namespaces, bridges, veths, vxlans, routes, sysctls, masquerade }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func list<T: Decodable>(_ key: CodingKeys) throws -> [T] { try container.decodeIfPresent([T].self, forKey: key) ?? [] }
        try self.init(name: container.decode(LabName.self, forKey: .name), namespaces: list(.namespaces),
                      bridges: list(.bridges), veths: list(.veths), vxlans: list(.vxlans), routes: list(.routes),
                      sysctls: list(.sysctls), masquerade: list(.masquerade))
    }

    /// The fields each part of a file may have: anything else is a typo worth reporting.
    static let schema: [String: Set<String>] = [
        "": Set(["name", "namespaces", "bridges", "veths", "vxlans", "routes", "sysctls", "masquerade"]),
        "bridges": LinkEnd.fields, "veths": ["a", "b"], "veths.a": LinkEnd.fields, "veths.b": LinkEnd.fields,
        "vxlans": VxlanSpec.fields, "routes": RouteSpec.fields, "sysctls": SysctlSpec.fields,
    ]
}
