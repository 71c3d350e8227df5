import CNI
import IPAM
import Identity
import Stores

extension IPAMService {
    /// The service a request's `ipam` section describes, on the store the same section names, in
    /// blocks when that store is shared (etcd).
    init(networkConfig stdin: [UInt8], network: NetworkName) throws {
        self = try Self.opening(networkConfig: stdin, network: network).service
    }

    /// The service, and the store it runs on.
    static func opening(networkConfig stdin: [UInt8], network: NetworkName) throws -> (service: IPAMService, store: OpenedStore) {
        let (config, store) = try IPAMConfig.decode(networkConfig: stdin, with: StoreConfiguration.self)
        // Blocks only where hosts share the store: on the local store, one host's leases gain
        // nothing from them.
        var hostID: String?
        var memory: BlockMemoryFile?
        var pending: PendingReleases?
        if case .etcd(let settings, let dataDir) = store {
            hostID = try settings.resolvedHostID()
            // The host's blocks as it last wrote them spare each ADD a read of them.
            memory = BlockMemoryFile(path: "\(dataDir)/ipam-blocks/\(settings.tag)-\(network)")
            // A DEL that cannot reach etcd leaves its release to the host's own store.
            let local = StoreConfiguration.local(dataDir: dataDir)
            pending = PendingReleases(network: network, sharedStore: settings.tag,
                                      markerPath: dataDir + "/pending-releases",
                                      openExisting: { try openExistingStore(local) }, open: { try openStore(local) })
        }
        let opened = try OpenedStore(store)
        return (IPAMService(config: config, network: network, store: opened.store, hostID: hostID, blockMemory: memory,
                            pending: pending), opened)
    }

    init<C>(for request: AttachmentRequest<C>) throws {
        try self.init(networkConfig: request.stdin, network: request.network.name)
    }

    init<C>(for request: NetworkRequest<C>) throws {
        try self.init(networkConfig: request.stdin, network: request.network.name)
    }
}
