import Addressing

/// An ADD result in the spec's 1.1.0 model. Plugins build and merge this shape only; conversion to
/// the caller's version happens once, when the runner writes it (`CNIResult.encoded(as:)`).
///
/// Decoding accepts every version we speak (0.3.0 to 1.1.0 share one superset layout; the pre-1.0
/// `"version"` in `ips` is ignored, since the address says it). Encoding via `Codable` writes the
/// 1.1.0 layout without `cniVersion`; empty lists and an empty `dns` are left out, as libcni does.
public struct CNIResult: Sendable, Equatable {
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS?

    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [], dns: DNS? = nil) {
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    public struct Interface: Sendable, Equatable, Codable {
        public var name: String
        public var mac: String?
        public var mtu: Int?
        /// The netns path for interfaces inside the container; absent for host-side ones.
        public var sandbox: String?
        public var socketPath: String?
        public var pciID: String?

        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil,
                    socketPath: String? = nil, pciID: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    public struct IPConfig: Sendable, Equatable, Codable {
        public var address: InterfaceAddress
        public var gateway: IPAddress?
        /// Index into `interfaces`; absent in IPAM results.
        public var interface: Int?

        public init(address: InterfaceAddress, gateway: IPAddress? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    public struct Route: Sendable, Equatable, Codable {
        public var dst: Subnet
        public var gw: IPAddress?
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(dst: Subnet, gw: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
                    priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
            self.dst = dst
            self.gw = gw
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }

    /// Keys whose value is empty are left out when encoding (libcni's `omitempty`).
    public struct DNS: Sendable, Equatable, Codable {
        public var nameservers: [String]?
        public var domain: String?
        public var search: [String]?
        public var options: [String]?

        public init(nameservers: [String]? = nil, domain: String? = nil, search: [String]? = nil,
                    options: [String]? = nil) {
            self.nameservers = nameservers
            self.domain = domain
            self.search = search
            self.options = options
        }

        private enum CodingKeys: String, CodingKey { case nameservers, domain, search, options }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            for (key, list) in [(CodingKeys.nameservers, nameservers), (.search, search), (.options, options)] {
                if let list, !list.isEmpty { try container.encode(list, forKey: key) }
            }
            if let domain, !domain.isEmpty { try container.encode(domain, forKey: .domain) }
        }

        /// True when no field carries anything; libcni leaves such a `dns` out of results.
        public var isEmpty: Bool {
            (nameservers ?? []).isEmpty && (domain ?? "").isEmpty && (search ?? []).isEmpty
                && (options ?? []).isEmpty
        }
    }
}
