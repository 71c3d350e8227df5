import Addressing
import CNI
import Glibc
import Identity
import JSON
import KV
import Netlink
import Overlay
import POSIX

/// Routed mode's part of a host: its host subnet, leased from the store on its agent's lease and
/// remembered in the data directory (so that a host whose key expired asks for the same one back),
/// and the VXLAN device holding that subnet's network address.
struct RoutedHost {
    let record: HostSubnetRecord

    /// How long ADD waits for a just-started agent to announce its host (and so its lease).
    static let agentWait = Duration.seconds(5)

    /// Claims (or finds again) this host's subnet and gives the device its address.
    static func prepare(_ config: VXLANConfig, pool: HostSubnetPool, network: NetworkName, hostID: String,
                        vtep: IPAddress, device: Link, store: any KeyValueStore, on host: NetlinkSocket) throws -> RoutedHost {
        guard let mac = device.mac else { throw CNIError(.internal, "vxlan: \(device.name) has no MAC") }
        let lease = try agentLease(hostID, store: store)
        let preferred = remembered(config, network)
        let record: HostSubnetRecord
        do {
            record = try HostSubnetClaim.claim(host: hostID, network: network, pool: pool, preferred: preferred,
                                               lease: lease, in: store) {
                HostSubnetRecord(host: hostID, subnet: $0, vtep: vtep, mac: mac, vni: config.vni)
            }
        } catch let error as HostSubnetClaimError {
            throw CNIError(.tryAgainLater, "vxlan: no host subnet left: \(error)",
                           details: "give the network a larger \"subnet\" or a longer \"hostSubnetSize\"")
        }
        if preferred != record.subnet { remember(record.subnet, at: memoryPath(config, network)) }
        let address = InterfaceAddress(address: record.deviceAddress, prefixLength: 32)
        if !(try host.addresses(index: device.index)).contains(address) {
            do { try host.addAddress(address, index: device.index) } catch NetlinkError.exists {}
        }
        return RoutedHost(record: record)
    }

    /// The lease the agent holds its host key with (`vxlan/hosts/<host>`: `{"host", "lease"}`),
    /// waiting for an agent ADD has just started to announce itself.
    private static func agentLease(_ hostID: String, store: any KeyValueStore) throws -> LeaseID {
        let deadline = ContinuousClock.now + agentWait
        while true {
            if let stored = try store.get(OverlayKeys.host(hostID)),
               case .object(let members)? = try? JSONCodec.document(from: stored.value),
               case .number(let text)? = members["lease"], let id = Int64(text) {
                return LeaseID(rawValue: id)
            }
            guard ContinuousClock.now < deadline else {
                throw CNIError(.tryAgainLater, "vxlan: the overlay agent has not announced host \(hostID) in the store",
                               details: "see vxlan-agent.log in the store's data directory")
            }
            usleep(20_000)
        }
    }

    /// Enters the new container's addresses at its MAC into the host's neighbour table (stale, so
    /// the kernel confirms them on first use as any entry it learnt). The first packet a peer sends
    /// it is routed here, and the host would otherwise ARP for it first; until the kernel has seen
    /// the new bridge port's carrier (deferred work, late on a busy host) the port drops that
    /// request, and the host asks again only after its ARP retransmit time, a second. Best effort.
    static func introduce(_ result: CNIResult, onBridge name: InterfaceName, on host: NetlinkSocket) {
        guard let mac = result.interfaces.first(where: { $0.sandbox != nil })?.mac.flatMap(MACAddress.init),
              let bridge = try? host.link(named: name) else { return }
        for ip in result.ips {
            try? host.replaceNeighbour(ip.address.address, mac: mac, index: bridge.index, state: .stale)
        }
    }

    /// Held shared by a routed ADD from before it claims the host subnet until its container is on it.
    static func lockForAdd(_ config: VXLANConfig, _ network: NetworkName) throws -> HostSubnetLock {
        guard let lock = HostSubnetLock(path: HostSubnetLock.path(dataDir: config.store.dataDir, network: network.rawValue),
                                        exclusive: false, waiting: true) else {
            throw CNIError(.ioFailure, "vxlan: cannot lock the host subnet of \(network) in \(config.store.dataDir)")
        }
        return lock
    }

    /// After a DEL: when no container is left on the host's bridge once no ADD is under way, starts
    /// the host subnet's grace period. Best effort, as kv-ipam's retiring of empty blocks: should
    /// anything fail, the subnet stays the host's.
    static func retireIfIdle(_ config: VXLANConfig, network: NetworkName, store: any KeyValueStore) {
        guard let subnet = remembered(config, network), let hostID = try? config.hostID(),
              let lock = HostSubnetLock(path: HostSubnetLock.path(dataDir: config.store.dataDir, network: network.rawValue),
                                        exclusive: true, waiting: true),
              let host = try? NetlinkSocket(), let links = try? host.links() else { return }
        let bridge = links.first { $0.name == config.bridge.rawValue }
        guard !links.contains(where: { $0.masterIndex != nil && $0.masterIndex == bridge?.index }),
              let stored = try? store.get(OverlayKeys.subnet(subnet, of: network)),
              let record = HostSubnetRecord(stored: stored.value), record.host == hostID else { return }
        _ = try? HostSubnetRetirement.retire(stored, record: record, gracePeriod: config.hostSubnetGracePeriod, in: store)
        withExtendedLifetime(lock) {}
    }

    static func memoryPath(_ config: VXLANConfig, _ network: NetworkName) -> String {
        config.store.dataDir + "/vxlan-subnet-" + network.rawValue
    }

    /// The host subnet this host had, if it remembers one.
    static func remembered(_ config: VXLANConfig, _ network: NetworkName) -> Subnet? {
        (try? RegularFile.contents(atPath: memoryPath(config, network), limit: 64)).flatMap { Subnet(String(decoding: $0, as: UTF8.self)) }
    }

    private static func remember(_ subnet: Subnet, at path: String) {
        let temporary = path + ".\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        let text = Array(subnet.description.utf8)
        let written = write(descriptor, text, text.count)
        close(descriptor)
        if written != text.count || rename(temporary, path) != 0 { unlink(temporary) }
    }

    /// The network's configuration as IPAM must see it on this host: the `ipam` section (kv-ipam on
    /// the network's store unless it says otherwise) with one range, the host subnet, its gateway the
    /// bridge's address, and blocks no larger than it.
    static func ipamStdin(_ stdin: [UInt8], hostSubnet: Subnet) throws -> [UInt8] {
        guard case .object(var top) = try JSONCodec.document(from: stdin) else { return stdin }
        var ipam: [String: JSONValue] = ["type": .string("kv-ipam")]
        if case .object(let given)? = top["ipam"] { ipam = given }
        if ipam["store"] == nil, let store = top["store"] { ipam["store"] = store }
        let gateway = hostSubnet.ipv4Address(1)
        ipam["ranges"] = .array([.array([.object(["subnet": .string(hostSubnet.description),
                                                   "gateway": .string(gateway.description)])])])
        // kv-ipam's blocks (64 addresses unless given) must fit the host subnet.
        let addresses = 1 << (32 - hostSubnet.prefixLength)
        if ipam["blockSize"] == nil, addresses < 64 { ipam["blockSize"] = .number(String(addresses)) }
        top["ipam"] = .object(ipam)
        return JSONWriter.write(.object(top))
    }
}
