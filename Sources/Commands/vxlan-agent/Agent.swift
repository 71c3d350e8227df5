import Addressing
import Firewall
import Glibc
import Identity
import KV
import Logging
import Netlink
import Overlay

/// Keeps this host's VXLAN devices holding exactly the containers of the other live hosts the store
/// lists (a host is live while its agent keeps its lease on `vxlan/hosts/<host>`):
/// a full pass on start (and after any lost watch), then one pass per changed overlay as the watch
/// delivers changes, and a full pass every `fullPassInterval` for devices created or emptied
/// meanwhile. With the store unreachable it changes nothing, so existing traffic keeps flowing.
final class Agent {
    private let store: any KeyValueStore
    private let hostID: String
    private let logger: Logger
    private let socket: NetlinkSocket
    private let hostTTL: Duration
    /// The data directory, where the host subnets' locks are.
    private let dataDir: String
    /// The lease this agent holds its host key with.
    private var lease: LeaseID?
    /// The hosts whose agents hold their keys.
    private var alive: Set<String> = []
    /// Every overlay attachment in the store, by key.
    private var records: [String: OverlayAttachment] = [:]
    /// Every routed overlay's host subnets, by key; this host's stay on this agent's lease.
    private var subnets: [String: HostSubnetRecord] = [:]
    private var revision: Int64 = 0
    /// Every network a record was seen of, so that the isolation of its last remote container goes too.
    private var networks: Set<NetworkName> = []

    static let fullPassInterval = Duration.seconds(10)
    static let retryDelay: UInt32 = 1

    init(store: any KeyValueStore, hostID: String, hostTTL: Duration, dataDir: String, logger: Logger) throws {
        self.store = store
        self.dataDir = dataDir
        self.hostID = hostID
        self.hostTTL = hostTTL
        self.logger = logger
        socket = try NetlinkSocket()
    }

    func run() -> Never {
        while true {
            do {
                try load()
                try follow()
            } catch {
                logger.error("store: \(error); the kernel keeps its entries; retrying in \(Self.retryDelay) s")
                sleep(Self.retryDelay)
            }
        }
    }

    /// Announces this host under a fresh lease (named in the host key's value, for ADD to lease
    /// host subnets on), moves this host's subnets onto it, reads every record and reconciles every
    /// device.
    private func load() throws {
        let fresh = try store.grantLease(ttl: hostTTL)
        try store.put(OverlayKeys.host(hostID), Array("{\"host\":\"\(hostID)\",\"lease\":\(fresh.rawValue)}".utf8), lease: fresh)
        // This host's subnets (a previous agent's, or this one's before an outage) follow its key
        // onto the fresh lease before the old one goes, so that they stay this host's.
        // A retiring one stays on its grace period's lease.
        for stored in try store.range(prefix: OverlayKeys.subnets).kvs
        where HostSubnetRecord(stored: stored.value).map({ $0.host == hostID && $0.retiring != true }) == true {
            _ = try store.commit(Transaction(compares: [.modRevision(stored.key, .equal, stored.modRevision)],
                                             success: [.leasedPut(stored.key, stored.value, lease: fresh)]))
        }
        // The key now lives on the fresh lease: the old one (an outage's) holds nothing.
        if let old = lease { _ = try? store.revoke(old) }
        lease = fresh
        let range = try store.range(prefix: OverlayKeys.root)
        records = [:]
        subnets = [:]
        alive = []
        for stored in range.kvs {
            if stored.key.hasPrefix(OverlayKeys.subnets) {
                if let record = HostSubnetRecord(stored: stored.value) { subnets[stored.key] = record }
            } else if stored.key.hasPrefix(OverlayKeys.hosts) {
                alive.insert(String(stored.key.dropFirst(OverlayKeys.hosts.count)))
            } else if !stored.key.hasPrefix(OverlayKeys.attachments) {
                continue
            } else if let record = OverlayAttachment(stored: stored.value) {
                records[stored.key] = record
            } else {
                logger.warning("skipping \(stored.key): not an overlay record")
            }
        }
        revision = range.revision
        logger.info("loaded revision \(revision): \(records.count) attachments, \(subnets.count) host subnets, live hosts \(alive.sorted().joined(separator: " "))")
        reconcile(nil)
    }

    /// Applies the watch's changes until it fails.
    private func follow() throws {
        let watch = try store.watch(prefix: OverlayKeys.root, afterRevision: revision)
        defer { watch.cancel() }
        var lastFullPass = ContinuousClock.now
        var lastKeepAlive = ContinuousClock.now
        while true {
            var touched = Set<UInt32>()
            var hostsChanged = false
            for event in try watch.next(timeout: .milliseconds(500)) {
                revision = event.revision
                if event.key.hasPrefix(OverlayKeys.hosts) {
                    let host = String(event.key.dropFirst(OverlayKeys.hosts.count))
                    if case .put = event { alive.insert(host) } else { alive.remove(host) }
                    hostsChanged = true
                    logger.info("host \(host) \(alive.contains(host) ? "joined" : "left"), revision \(revision)")
                    continue
                }
                if event.key.hasPrefix(OverlayKeys.subnets) {
                    if let old = subnets[event.key] { touched.insert(old.vni) }
                    switch event {
                    case .put(let stored): subnets[stored.key] = HostSubnetRecord(stored: stored.value)
                    case .delete(let key, _):
                        if let old = subnets[key], old.host == hostID, let lease {
                            if old.retiring == true {
                                // Its grace period is over: off this host, unless a container came meanwhile.
                                try giveBack(old, key: key, lease: lease)
                            } else {
                                // Revoked under this host (a previous agent's lease going): lease it again.
                                try reclaim(old, key: key, lease: lease)
                            }
                        }
                        subnets[key] = nil
                    }
                    if let new = subnets[event.key] { touched.insert(new.vni) }
                    continue
                }
                if let old = records[event.key] { touched.insert(old.vni) }
                switch event {
                case .put(let stored):
                    records[stored.key] = OverlayAttachment(stored: stored.value)
                case .delete(let key, _):
                    records[key] = nil
                }
                if let new = records[event.key] { touched.insert(new.vni) }
            }
            if ContinuousClock.now - lastKeepAlive >= hostTTL / 3, let lease {
                lastKeepAlive = ContinuousClock.now
                guard try store.keepAlive(lease) != nil else {
                    throw KVError.leaseNotFound(lease)  // Expired during an outage: announce again.
                }
            }
            if hostsChanged || ContinuousClock.now - lastFullPass >= Self.fullPassInterval {
                lastFullPass = ContinuousClock.now
                reconcile(nil)
            } else if !touched.isEmpty {
                reconcile(touched)
            }
        }
    }

    /// Reconciles the devices of `vnis`, or of every overlay on this host when `nil`.
    private func reconcile(_ vnis: Set<UInt32>?) {
        let devices: [Link]
        do {
            devices = try socket.links().filter { link in
                guard let vni = OverlayDeviceName.vni(of: link.name), link.vxlan?.vni == vni else { return false }
                return vnis?.contains(vni) ?? true
            }
        } catch {
            logger.error("cannot list links: \(error)")
            return
        }
        for device in devices {
            guard let vni = device.vxlan?.vni else { continue }
            do {
                let changes: PeerChanges
                if device.masterIndex == nil {
                    // Routed mode's device, a port of nothing: routes to the peers' host subnets.
                    changes = try PeerRoutes(vni: vni, host: hostID, subnets: subnets.values).apply(toDevice: device.index, on: socket)
                } else {
                    changes = try PeerEntries(vni: vni, host: hostID, attachments: records.values, alive: alive)
                        .apply(toDevice: device.index, on: socket)
                }
                announce(changes.writtenNeighbours, on: device)
                if !changes.isEmpty {
                    logger.info("\(device.name) (VNI \(vni)): \(changes.added) entries written, \(changes.removed) removed, revision \(revision)")
                }
            } catch {
                logger.error("\(device.name) (VNI \(vni)): \(error)")
            }
        }
        isolate()
    }

    /// Puts this host's subnet `record` back under `key` on `lease` unless another host took it meanwhile.
    private func reclaim(_ record: HostSubnetRecord, key: String, lease: LeaseID) throws {
        var record = record
        record.retiring = nil
        let result = try store.commit(Transaction(compares: [.absent(key)],
                                                  success: [.leasedPut(key, try record.encoded(), lease: lease)]))
        logger.info("host subnet \(record.subnet) \(result.succeeded ? "leased again" : "taken by another host meanwhile")")
    }

    /// Takes this host's retired subnet `record` off the host (the gateway from the bridge, the
    /// address from the device), so that the subnet can be another host's; under the subnet's lock,
    /// so that no ADD is putting a container on it meanwhile. A container found on the bridge (an
    /// ADD just before the lease expired) keeps the subnet: it is leased again.
    private func giveBack(_ record: HostSubnetRecord, key: String, lease: LeaseID) throws {
        guard let network = OverlayKeys.network(ofSubnetKey: key),
              let lock = HostSubnetLock(path: HostSubnetLock.path(dataDir: dataDir, network: network.rawValue),
                                        exclusive: true, waiting: true) else { return }
        defer { withExtendedLifetime(lock) {} }
        guard try store.get(key) == nil else { return }  // An ADD claimed it again.
        let links = try socket.links()
        let addresses = try socket.addressesByLink(family: .ipv4)
        let gateway = InterfaceAddress(address: record.gateway, prefixLength: record.subnet.prefixLength)
        let bridge = links.first { addresses[$0.index]?.contains(gateway) == true }
        if let bridge, links.contains(where: { $0.masterIndex == bridge.index }) {
            return try reclaim(record, key: key, lease: lease)
        }
        if let bridge { try socket.deleteAddress(gateway, index: bridge.index) }
        if let device = links.first(where: { $0.name == OverlayDeviceName.make(vni: record.vni).rawValue }) {
            try socket.deleteAddress(InterfaceAddress(address: record.deviceAddress, prefixLength: 32), index: device.index)
        }
        logger.info("host subnet \(record.subnet) of \(network) given back after its grace period")
    }

    /// Tells the containers on the device's bridge where the IPv4 addresses just entered are. (The
    /// IPv6 counterpart, an unsolicited neighbour advertisement, is not sent.)
    private func announce(_ neighbours: [IPAddress: MACAddress], on device: Link) {
        guard let bridge = device.masterIndex else { return }
        for (ip, mac) in neighbours {
            guard case .v4(let address) = ip else { continue }
            do {
                try ARPAnnouncement.send(address, isAt: mac, onLink: bridge)
            } catch {
                logger.warning("\(device.name): announcing \(ip): \(error)")
            }
        }
    }

    /// Enters the other hosts' containers of isolated overlays into the firewall's isolation set.
    private func isolate() {
        var remote: [NetworkName: [AttachmentID: OverlayAttachment]] = [:]
        for (key, record) in records {
            guard let id = OverlayKeys.attachmentID(fromKey: key) else { continue }
            networks.insert(id.network)
            remote[id.network, default: [:]][id] = record.host != hostID && record.isolated && alive.contains(record.host)
                ? record : nil
        }
        let firewall: Firewall
        do { firewall = try Firewall() } catch {
            logger.error("firewall: \(error)")
            return
        }
        // Every network seen, so that one with no record left loses what it had.
        for network in networks {
            do {
                let changes = try PeerIsolation.apply(network: network, remote: remote[network] ?? [:], using: firewall)
                if !changes.isEmpty {
                    logger.info("\(network): \(changes.added) remote containers isolated, \(changes.removed) released")
                }
            } catch {
                logger.error("\(network): isolation: \(error)")
            }
        }
    }
}
