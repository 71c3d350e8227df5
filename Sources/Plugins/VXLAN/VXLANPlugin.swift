import Addressing
import BridgePlugin
import CNI
import Identity
import KV
import Netlink
import Overlay
import PluginKit
import Stores

/// An overlay network across hosts, as Docker's overlay driver builds it: on each host the
/// containers are attached to a bridge (exactly as `bridge` attaches them) whose other port is a
/// VXLAN device. ADD records the attachment in the shared store; each host's agent
/// (`vxlan-agent`) enters the other hosts' containers into its device, so nothing is flooded or
/// learnt.
public struct VXLANPlugin: CNIPlugin {
    public typealias Config = VXLANConfig
    public static let name = "vxlan"

    public init() {}

    public func add(_ request: AttachmentRequest<VXLANConfig>) throws -> CNIResult {
        let config = request.config
        let host = try NetlinkSocket()
        let hostID = try config.hostID()
        let store = try openStore(config.store)
        if let pool = config.hostSubnets {
            return try addRouted(request, pool: pool, hostID: hostID, store: store, on: host)
        }
        // The host's first ADD reads the other hosts' containers before it makes the device and the
        // bridge, so that a store that does not answer leaves neither behind.
        func peers() throws -> [OverlayAttachment] {
            try store.range(prefix: OverlayKeys.attachments(of: request.network.name)).kvs
                .compactMap { OverlayAttachment(stored: $0.value) }
        }
        var known: [OverlayAttachment]?
        let device = try OverlayDevice.ensure(config, on: host, beforeMaking: { known = try peers() }) { endpoint in
            try BridgePlugin.ensureBridge(config.bridgeAttachment(mtu: endpoint.mtu), on: host)
        }
        if device.createdHere {
            // The agent reconciles a device it finds on its next pass; the containers already on
            // other hosts must be reachable when this ADD returns.
            try PeerEntries(vni: config.vni, host: hostID, attachments: try known ?? peers())
                .apply(toDevice: device.link.index, on: host, removingStale: false)
        }
        // With the store down, IPAM fails first and the bridge attachment rolls itself back.
        return try BridgePlugin(alsoEvicting: PeerIsolation.staleEntries(in: store))
            .add(request.onBridge(config.bridgeAttachment(mtu: device.endpoint.mtu)),
                 whenLeased: recordingAttachment(request, host: hostID, vtep: device.endpoint.vtep))
    }

    /// Sends the attachment's record once its addresses are leased, over IPAM's kept-alive
    /// connection when IPAM leased in the overlay's store, and reads the answer after the bridge's
    /// kernel work and the agent's start: etcd commits meanwhile. Deletes the record if the ADD
    /// fails after all.
    private func recordingAttachment(_ request: AttachmentRequest<VXLANConfig>, host: String,
                                     vtep: IPAddress) -> LeaseFollowUp {
        let config = request.config
        let key = OverlayKeys.attachment(request.attachmentID)
        return LeaseFollowUp { lease in
            let record = OverlayAttachment(host: host, vtep: vtep, vni: config.vni, mac: lease.containerMAC,
                                           ips: lease.ips.map(\.address), isolated: config.attachment.networkIsolation)
            let store = try openStore(config.store, reusing: lease.store)
            let written = try store.sendPut(key, try record.encoded())
            return .init(finish: {
                // While etcd commits the record.
                try launchAgent(request)
                _ = try written.wait()
            }, undo: {
                // After the put's answer, so that the delete cannot overtake it.
                _ = try? written.wait()
                _ = try? store.delete(key)
            })
        }
    }

    /// Starts the host's agent unless it runs. Once the configuration is known to be good: a
    /// refused ADD starts nothing.
    private func launchAgent(_ request: AttachmentRequest<VXLANConfig>) throws {
        try AgentLauncher(dataDir: request.config.store.dataDir, searchPath: request.searchPath)
            .ensureRunning(networkConfig: request.stdin, hostTTL: request.config.hostTTL)
    }

    /// Routed mode: the VXLAN device first (its MAC goes into the host subnet's record), then the
    /// host subnet, then the container on the bridge with IPAM given that subnet as its range. No
    /// attachment record: the peers route to the whole host subnet.
    private func addRouted(_ request: AttachmentRequest<VXLANConfig>, pool: HostSubnetPool, hostID: String,
                           store: any KeyValueStore, on host: NetlinkSocket) throws -> CNIResult {
        let config = request.config
        // Until the container is on the host subnet, a DEL of the host's last one must not retire it.
        let lock = try RoutedHost.lockForAdd(config, request.network.name)
        defer { withExtendedLifetime(lock) {} }
        let device = try OverlayDevice.ensure(config, on: host) { _ in nil }
        let routed: RoutedHost
        do {
            try launchAgent(request)
            routed = try RoutedHost.prepare(config, pool: pool, network: request.network.name, hostID: hostID,
                                            vtep: device.endpoint.vtep, device: device.link, store: store, on: host)
        } catch {
            // Nothing of this host is in the store then (the store is down, say): a device made
            // here goes again, so that the failed ADD leaves nothing.
            if device.createdHere { _ = try? host.deleteLink(index: device.link.index) }
            throw error
        }
        if device.createdHere {
            if config.attachment.networkIsolation {
                try TunnelIngress.restrict(OverlayDeviceName.make(vni: config.vni), to: pool.network, of: request.network.name)
            }
            // The agent programs a device it finds on its next pass; the peers must be reachable
            // when this ADD returns.
            let peers = try store.range(prefix: OverlayKeys.subnets(of: request.network.name)).kvs
                .compactMap { HostSubnetRecord(stored: $0.value) }
            try PeerRoutes(vni: config.vni, host: hostID, subnets: peers).apply(toDevice: device.link.index, on: host)
        }
        let stdin = try RoutedHost.ipamStdin(request.stdin, hostSubnet: routed.record.subnet)
        let result = try BridgePlugin().add(request.onBridge(config.bridgeAttachment(mtu: device.endpoint.mtu), stdin: stdin))
        RoutedHost.introduce(result, onBridge: config.bridge, on: host)
        return result
    }

    public func del(_ request: AttachmentRequest<VXLANConfig>) throws {
        // The record first, so the other hosts stop sending to the container before its address
        // can be leased again.
        let store = try openStore(request.config.store)
        try store.delete(OverlayKeys.attachment(request.attachmentID))
        try BridgePlugin().del(request.onBridge(request.config.bridgeAttachment, stdin: try request.config.ipamStdin(request)))
        if request.config.hostSubnets != nil {
            RoutedHost.retireIfIdle(request.config, network: request.network.name, store: store)
        }
    }

    public func check(_ request: AttachmentRequest<VXLANConfig>) throws {
        let config = request.config
        try BridgePlugin().check(request.onBridge(config.bridgeAttachment, stdin: try config.ipamStdin(request)))
        if config.hostSubnets != nil { return try checkRouted(request) }
        let host = try NetlinkSocket()
        let name = OverlayDeviceName.make(vni: config.vni)
        guard let device = try host.link(named: name), device.vxlan?.vni == config.vni else {
            throw CheckFailure("VXLAN device \(name) is missing")
        }
        guard let bridge = try host.link(named: config.bridge), device.masterIndex == bridge.index else {
            throw CheckFailure("VXLAN device \(name) is not a port of bridge \(config.bridge)")
        }
        guard let stored = try openStore(config.store).get(OverlayKeys.attachment(request.attachmentID)),
              let record = OverlayAttachment(stored: stored.value) else {
            throw CheckFailure("the store has no overlay record of \(request.attachmentID)")
        }
        let expected = try request.expectedResult()
        let mac = expected.interfaces.first(where: { $0.sandbox != nil })?.mac.flatMap(MACAddress.init)
        guard record.host == (try config.hostID()), record.vni == config.vni, record.mac == mac else {
            throw CheckFailure("the store's overlay record of \(request.attachmentID) is not this host's container")
        }
    }

    /// Routed mode's CHECK beyond `bridge`'s: the device exists with the VNI, a port of nothing, and
    /// the store publishes this host's subnet with the device's MAC.
    private func checkRouted(_ request: AttachmentRequest<VXLANConfig>) throws {
        let config = request.config
        let host = try NetlinkSocket()
        let name = OverlayDeviceName.make(vni: config.vni)
        guard let device = try host.link(named: name), device.vxlan?.vni == config.vni, device.masterIndex == nil else {
            throw CheckFailure("VXLAN device \(name) is missing or is a bridge port")
        }
        guard let subnet = RoutedHost.remembered(config, request.network.name),
              let stored = try openStore(config.store).get(OverlayKeys.subnet(subnet, of: request.network.name)),
              let record = HostSubnetRecord(stored: stored.value), record.host == (try config.hostID()), record.mac == device.mac else {
            throw CheckFailure("the store does not publish this host's subnet of \(request.network.name)")
        }
    }

    public func gc(_ request: NetworkRequest<VXLANConfig>) throws {
        let config = request.config
        let store = try openStore(config.store)
        let hostID = try config.hostID()
        let valid = request.validAttachments
        for stored in try store.range(prefix: OverlayKeys.attachments(of: request.network.name)).kvs {
            guard let id = OverlayKeys.attachmentID(fromKey: stored.key), !valid.contains(id.attachment),
                  OverlayAttachment(stored: stored.value)?.host == hostID else { continue }
            try store.delete(stored.key)
        }
        try BridgePlugin().gc(request.onBridge(config.bridgeAttachment, stdin: try config.ipamStdin(request)))
    }

    public func status(_ request: NetworkRequest<VXLANConfig>) throws {
        do {
            _ = try openStore(request.config.store).revision()
        } catch let error as KVError {
            throw CNIError(.notAvailable, "vxlan: the overlay's store cannot be reached: \(error)")
        }
        try BridgePlugin().status(request.onBridge(request.config.bridgeAttachment, stdin: try request.config.ipamStdin(request)))
    }
}

extension VXLANConfig {
    /// The bridge settings where no underlay is read (DEL, CHECK, GC, STATUS): the MTU is not needed.
    var bridgeAttachment: BridgeConfig { bridgeAttachment(mtu: mtu) }

    /// The bridge settings for containers of MTU `mtu`.
    func bridgeAttachment(mtu: Int?) -> BridgeConfig {
        attachment.attaching(to: bridge, mtu: mtu, defaultGateway: isDefaultGateway)
    }

    /// This host's name in the store.
    func hostID() throws -> String {
        guard case .etcd(let settings, _) = store else { preconditionFailure("VXLANConfig accepts only an etcd store") }
        return try settings.resolvedHostID()
    }
}

extension VXLANConfig {
    /// The stdin IPAM reads outside ADD: in routed mode, with this host's subnet as its range (the
    /// whole network's when the host remembers none), so that kv-ipam finds its section complete.
    func ipamStdin<C>(_ request: AttachmentRequest<C>) throws -> [UInt8] {
        try ipamStdin(request.stdin, network: request.network.name)
    }

    func ipamStdin<C>(_ request: NetworkRequest<C>) throws -> [UInt8] {
        try ipamStdin(request.stdin, network: request.network.name)
    }

    private func ipamStdin(_ stdin: [UInt8], network: NetworkName) throws -> [UInt8] {
        guard let pool = hostSubnets else { return stdin }
        return try RoutedHost.ipamStdin(stdin, hostSubnet: RoutedHost.remembered(self, network) ?? pool.network)
    }
}

extension AttachmentRequest {
    /// The same request, for the bridge plugin with `config` (and `stdin`, when IPAM must see another).
    func onBridge(_ config: BridgeConfig, stdin: [UInt8]? = nil) -> AttachmentRequest<BridgeConfig> {
        AttachmentRequest<BridgeConfig>(command: command, attachment: attachment, netns: netns, args: args,
                                        searchPath: searchPath, network: network, config: config, stdin: stdin ?? self.stdin)
    }
}

extension NetworkRequest {
    func onBridge(_ config: BridgeConfig, stdin: [UInt8]? = nil) -> NetworkRequest<BridgeConfig> {
        NetworkRequest<BridgeConfig>(command: command, searchPath: searchPath, network: network, config: config,
                                     stdin: stdin ?? self.stdin)
    }
}
