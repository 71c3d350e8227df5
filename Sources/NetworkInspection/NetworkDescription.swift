import Addressing
import CNIRuntime
import IPAM
import JSON
import Stores

/// What a network's configuration says about it, as `docker network inspect` shows a network:
/// its driver (the main plugin), the bridge, its subnets and gateways, where its leases are kept.
public struct NetworkDescription: Sendable {
    public struct AddressPool: Sendable, Encodable {
        public let subnet: String
        public let gateway: String?
    }

    public let list: NetworkConfigList
    public var name: String { list.name.rawValue }
    /// The main plugin's type: `bridge`, `macvlan`, ...
    public var driver: String { list.mainPlugin.type }
    /// Every plugin's type, in chain order.
    public var chain: [String] { list.plugins.map(\.type) }
    /// The bridge device, for bridge networks (`cni0` when the key is left out).
    public let bridge: String?
    public let ipamType: String?
    public let pools: [AddressPool]
    /// The main plugin's other keys, as written.
    public let options: [String: JSONValue]
    /// Where kv-ipam keeps the leases, for networks whose addresses it manages.
    public let store: StoreConfiguration?
    /// host-local's lease directory, for networks whose addresses it manages.
    public let hostLocalDirectory: String?
    /// Whether the chain registers DNS names (the dnsname plugin).
    public var servesNames: Bool { chain.contains("dnsname") }
    /// Why the ipam section could not be read, if it could not.
    public let ipamProblem: String?
    /// Where the dnsname plugin writes the network's DNS records (its `dataDir`/`store`).
    public let dnsStore: StoreConfiguration?

    public init(_ list: NetworkConfigList) {
        self.list = list
        var options: [String: JSONValue] = [:]
        var bridge: String?
        var ipamSection: JSONValue?
        if case .object(let members) = list.mainPlugin.object {
            for (key, value) in members where !["type", "name", "cniVersion", "ipam", "capabilities"].contains(key) {
                options[key] = value
            }
            if case .string(let name)? = members["bridge"] { bridge = name }
            ipamSection = members["ipam"]
        }
        if bridge == nil, list.mainPlugin.type == "bridge" { bridge = "cni0" }
        self.bridge = bridge
        self.options = options
        var ipamType: String?
        if case .object(let ipam)? = ipamSection, case .string(let type)? = ipam["type"] { ipamType = type }
        self.ipamType = ipamType
        var pools: [AddressPool] = []
        var store: StoreConfiguration?
        var hostLocal: String?
        var problem: String?
        if ipamType != nil {
            do {
                let (config, storeConfig) = try IPAMConfig.decode(networkConfig: JSONWriter.write(list.mainPlugin.object),
                                                                  with: StoreConfiguration.self)
                pools = config.rangeSets.flatMap(\.ranges).map {
                    AddressPool(subnet: $0.subnet.description, gateway: $0.gateway?.description)
                }
                if ipamType == "kv-ipam" { store = storeConfig }
            } catch {
                problem = "\(error)"
            }
            if ipamType == "host-local" {
                var directory = "/var/lib/cni/networks"
                if case .object(let ipam)? = ipamSection, case .string(let dataDir)? = ipam["dataDir"] { directory = dataDir }
                hostLocal = directory + "/" + list.name.rawValue
            }
        }
        self.pools = pools
        self.store = store
        self.hostLocalDirectory = hostLocal
        self.ipamProblem = problem
        dnsStore = list.plugins.first { $0.type == "dnsname" }.flatMap {
            try? JSONCodec.decode(StoreConfiguration.self, from: $0.object)
        }
    }

    /// The first gateway of an address family: where the network's DNS responder listens.
    public func gateway(_ family: AddressFamily) -> IPAddress? {
        pools.compactMap { $0.gateway.flatMap(IPAddress.init) }.first { $0.family == family }
    }
}
