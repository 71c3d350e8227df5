import Addressing
import DNSRecords
import DNSWire
import Identity

/// Everything the responder answers, built once per store revision from the records, so that a query
/// costs a few hash lookups whatever the client.
///
/// A client's scope is every network of the containers its source address belongs to: a container
/// on two networks sees the names of both, whichever of its addresses and gateways it uses. A source that is no container's (the host, a container of
/// another runtime) sees the networks served on the gateway it asked, through the same lookups.
public struct Zone: Sendable {
    struct Network: Sendable {
        let domain: DNSName
        /// Fully qualified names to every address of every attachment that has them.
        var hosts: [DNSName: HostAddresses] = [:]
        /// Container addresses to their fully qualified names.
        var reverse: [IPAddress: [DNSName]] = [:]
        var upstreams: [DNSUpstream] = []
    }

    struct HostAddresses: Sendable {
        var v4: [IPv4Address] = []
        var v6: [IPv6Address] = []
    }

    private(set) var networks: [Network] = []
    /// Network names to their position in `networks`.
    private var networkIndex: [String: Int] = [:]
    /// Container addresses to the networks of their containers.
    private var clients: [IPAddress: [Int]] = [:]
    /// `[position]` for each network: the list of every client on that network alone, shared by
    /// them rather than one array per address.
    private var singleNetworks: [[Int]] = []
    /// Gateway addresses to the networks served there.
    private var gateways: [IPAddress: [Int]] = [:]
    /// Where names outside every domain go when a network names no upstream, as given.
    private var hostUpstreams: [DNSUpstream] = []
    /// `hostUpstreams` without our own gateways.
    private(set) var defaultUpstreams: [DNSUpstream] = []
    /// Hash values of the owners of the records in the zone, and of their container IDs to their
    /// record counts: what `insert` needs to know that a record is the first of its owner and
    /// container, and `remove` that it is the last. A collision only costs a rebuild.
    private var owners: Set<Int> = []
    private var containerRecords: [Int: Int] = [:]
    /// Hash values of owners to their addresses (at most one of each family, inline, in a table per
    /// family: no allocation per record, and 12 bytes an entry where a pair of `IPAddress` took 48;
    /// an owner with more, or none, is left to a rebuild), and each network's record count: what
    /// `remove` needs to undo a record the store no longer holds (a delete carries only its key).
    private var ownerV4: [Int: IPv4Address] = [:]
    private var ownerV6: [Int: IPv6Address] = [:]
    private var networkRecords: [Int: Int] = [:]
    /// The host's own addresses: a network is served only where one of its gateways is one of them,
    /// and only those gateways are listened on. `nil`: every gateway a record names is this host's.
    public let hostAddresses: Set<IPAddress>?
    /// Networks with records (other hosts', on a store hosts share) but no gateway on this host.
    private var unserved: Set<String> = []

    /// Whether no network has records left.
    public var isEmpty: Bool { networks.isEmpty }

    /// How many records the zone holds.
    public var recordCount: Int { owners.count }

    /// The addresses to listen on.
    public var listenAddresses: Set<IPAddress> { Set(gateways.keys) }

    /// Builds the zone. Names and domains that are not valid DNS names are skipped (the plugin
    /// validates them; the store may hold anything). `defaultUpstreams` that are one of our gateways
    /// are left out: forwarding to ourselves would loop.
    /// With `hostAddresses`, a network is served only if a record of it names a gateway on this host
    /// (records of other hosts' networks are skipped).
    public init(records: some Sequence<DNSRecord>, defaultUpstreams: [DNSUpstream], hostAddresses: Set<IPAddress>? = nil) {
        var builder = Builder(defaultUpstreams: defaultUpstreams, hostAddresses: hostAddresses)
        for record in records { builder.add(record) }
        self = builder.zone()
    }

    private init(hostAddresses: Set<IPAddress>?) {
        self.hostAddresses = hostAddresses
    }

    /// A zone built from records handed over one at a time, in any order, each read once: a
    /// reader can decode them a page at a time, so that the records of 10,000 names never all live
    /// at once, and the zone's memory is not interleaved with theirs.
    public struct Builder {
        private var building: Zone
        private let defaultUpstreams: [DNSUpstream]
        /// Networks a record of which names a gateway on this host (with `hostAddresses`).
        private var served: Set<String> = []
        /// Records of networks not known to be served yet: added once one of their records names a
        /// gateway here, skipped at the end otherwise.
        private var pending: [String: [DNSRecord]] = [:]
        /// Each container's networks and addresses, in the order first seen: a client sees every
        /// network of its container, and a container's records on several networks are apart.
        private var containerIndex: [String: Int] = [:]
        private var containers: [(positions: [Int], addresses: [IPAddress])] = []

        public init(defaultUpstreams: [DNSUpstream], hostAddresses: Set<IPAddress>? = nil) {
            building = Zone(hostAddresses: hostAddresses)
            self.defaultUpstreams = defaultUpstreams
        }

        public mutating func add(_ record: DNSRecord) {
            let network = record.network.description
            if let hostAddresses = building.hostAddresses, !served.contains(network) {
                guard record.gateways.contains(where: hostAddresses.contains) else {
                    pending[network, default: []].append(record)
                    return
                }
                served.insert(network)
                for earlier in pending.removeValue(forKey: network) ?? [] { place(earlier) }
            }
            place(record)
        }

        private mutating func place(_ record: DNSRecord) {
            let container = record.attachment.containerID.description
            let index = containerIndex[container] ?? containers.count
            if index == containers.count {
                containerIndex[container] = index
                containers.append(([], []))
            }
            if let position = building.position(of: record) {
                building.add(record, to: position)
                building.append(position, to: &containers[index].positions)
            }
            containers[index].addresses += record.addresses
        }

        /// The zone of every record added.
        public consuming func zone() -> Zone {
            building.unserved = Set(pending.keys)
            for container in containers {
                for address in container.addresses {
                    for position in container.positions { building.addClient(address, on: position) }
                }
            }
            building.hostUpstreams = defaultUpstreams
            building.filterDefaultUpstreams()
            return building
        }
    }

    /// Adds the record of an owner the zone has no record of, whose container has no record on any
    /// network either (the common ADD), in time proportional to the record alone. Returns false,
    /// changing nothing, for any other record: the caller rebuilds the zone from all of them.
    /// A record of a network not served here is skipped, unless it names a gateway on this host and
    /// other records of its network were skipped before (false: they must be read again).
    public mutating func insert(_ record: DNSRecord) -> Bool {
        let network = record.network.description
        if networkIndex[network] == nil, let hostAddresses {
            guard record.gateways.contains(where: hostAddresses.contains) else {
                unserved.insert(network)
                return true
            }
            if unserved.contains(network) { return false }
        }
        guard !owners.contains(record.owner.hashValue),
              containerRecords[record.attachment.containerID.hashValue] == nil else { return false }
        guard let position = position(of: record) else { return true }
        let served = gateways.count
        add(record, to: position)
        for address in record.addresses { addClient(address, on: position) }
        if gateways.count != served { filterDefaultUpstreams() }
        return true
    }

    /// Removes the record of `owner` when it is the only record of its container and not the last
    /// of its network (the common DEL), in time proportional to the record alone. Returns false,
    /// changing nothing, otherwise: the caller rebuilds the zone from the store.
    public mutating func remove(_ owner: AttachmentID) -> Bool {
        let key = owner.hashValue
        let addresses = [ownerV4[key].map(IPAddress.v4), ownerV6[key].map(IPAddress.v6)].compactMap { $0 }
        guard !addresses.isEmpty, let position = networkIndex[owner.network.description],
              let count = networkRecords[position], count > 1 else { return false }
        // A container with a record on another network shares its client entries: rebuild.
        guard containerRecords[owner.attachment.containerID.hashValue] == 1 else { return false }
        for address in addresses {
            for name in networks[position].reverse.removeValue(forKey: address) ?? [] {
                guard var host = networks[position].hosts[name] else { continue }
                switch address {
                case .v4(let v4): host.v4.removeAll { $0 == v4 }
                case .v6(let v6): host.v6.removeAll { $0 == v6 }
                }
                networks[position].hosts[name] = host.v4.isEmpty && host.v6.isEmpty ? nil : host
            }
            clients[address] = nil
        }
        owners.remove(key)
        containerRecords[owner.attachment.containerID.hashValue] = nil
        ownerV4[key] = nil
        ownerV6[key] = nil
        networkRecords[position] = count - 1
        return true
    }

    /// The position of the record's network, added if new; `nil` if its domain is no DNS name.
    private mutating func position(of record: DNSRecord) -> Int? {
        guard let domain = try? DNSName(record.domain) else { return nil }
        let key = record.network.description
        if let existing = networkIndex[key] { return existing }
        networkIndex[key] = networks.count
        networks.append(Network(domain: domain))
        singleNetworks.append([networks.count - 1])
        return networks.count - 1
    }

    /// Adds the network at `position` to those `address`'s container is on.
    private mutating func addClient(_ address: IPAddress, on position: Int) {
        if clients[address] == nil {
            clients[address] = singleNetworks[position]
        } else {
            append(position, to: &clients[address]!)
        }
    }

    private mutating func filterDefaultUpstreams() {
        defaultUpstreams = hostUpstreams.filter { gateways[$0.address] == nil }
    }

    private mutating func add(_ record: DNSRecord, to position: Int) {
        owners.insert(record.owner.hashValue)
        containerRecords[record.attachment.containerID.hashValue, default: 0] += 1
        var v4: IPv4Address?, v6: IPv6Address?, inline = true
        for address in record.addresses {
            switch address {
            case .v4(let address): if v4 == nil { v4 = address } else { inline = false }
            case .v6(let address): if v6 == nil { v6 = address } else { inline = false }
            }
        }
        if inline {
            ownerV4[record.owner.hashValue] = v4
            ownerV6[record.owner.hashValue] = v6
        }
        networkRecords[position, default: 0] += 1
        let domain = networks[position].domain
        var qualified: [DNSName] = []
        for text in record.names {
            // One key per name, fully qualified: a short query is qualified at lookup.
            guard let name = try? DNSName(text),
                  let key = name.isSubdomain(of: domain) ? name : name.appending(domain) else { continue }
            qualified.append(key)
            var host = networks[position].hosts[key] ?? HostAddresses()
            for address in record.addresses {
                switch address {
                case .v4(let v4) where !host.v4.contains(v4): host.v4.append(v4)
                case .v6(let v6) where !host.v6.contains(v6): host.v6.append(v6)
                default: break
                }
            }
            networks[position].hosts[key] = host
        }
        for address in record.addresses {
            // A new address shares the record's list of names (both of a dual-stack container do).
            if networks[position].reverse[address] == nil {
                networks[position].reverse[address] = qualified
            } else {
                networks[position].reverse[address]!.append(contentsOf: qualified)
            }
        }
        // Another host's gateway (routed mode) is never listened on, nor a network served there.
        for gateway in record.gateways where hostAddresses?.contains(gateway) ?? true {
            append(position, to: &gateways[gateway, default: []])
        }
        for upstream in record.upstreams where !networks[position].upstreams.contains(upstream) {
            networks[position].upstreams.append(upstream)
        }
    }

    private func append(_ position: Int, to list: inout [Int]) {
        if !list.contains(position) { list.append(position) }
    }

    /// Whether the zone serves `network` (it has records of it and, with `hostAddresses`, a gateway here).
    public func serves(_ network: String) -> Bool { networkIndex[network] != nil }

    /// Whether every gateway `record` names is known to be this host's or not: false when one is
    /// absent from `hostAddresses` (an address added since, or another host's gateway).
    public func knowsGateways(of record: DNSRecord) -> Bool {
        hostAddresses.map { addresses in record.gateways.allSatisfy(addresses.contains) } ?? true
    }

    /// The addresses of `name` on the network at `position`, asked as given or relative to its domain.
    func host(_ name: DNSName, at position: Int) -> HostAddresses? {
        let network = networks[position]
        if let host = network.hosts[name] { return host }
        guard !name.isSubdomain(of: network.domain), let qualified = name.appending(network.domain) else { return nil }
        return network.hosts[qualified]
    }

    /// The networks whose names `client` sees when it asks at `server`.
    public func scope(client: IPAddress, server: IPAddress) -> [Int] {
        clients[client] ?? gateways[server] ?? []
    }

    /// Where a name outside the domains of `scope` goes: the networks' upstreams in order, or the
    /// host's when none names any.
    public func upstreams(for scope: [Int]) -> [DNSUpstream] {
        var result: [DNSUpstream] = []
        for position in scope {
            for upstream in networks[position].upstreams where !result.contains(upstream) { result.append(upstream) }
        }
        return result.isEmpty ? defaultUpstreams : result
    }
}
