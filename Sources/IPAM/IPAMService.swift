import Addressing
import CNI
import Identity
import KV

/// The `kv-ipam` operations in CNI terms, for one network's leases in the store it is given. The
/// `kv-ipam` executable runs these, and so do our own plugins, in-process, when their `ipam.type` is
/// `kv-ipam`.
public struct IPAMService {
    public let config: IPAMConfig
    let leases: LeaseManager
    let pending: PendingReleases?

    /// With `hostID` (a store many hosts share), leases come from blocks this host claims (see
    /// `BlockAllocator`), which `blockMemory` keeps from one run to the next; without it, from the
    /// whole range. With `pending`, a DEL that cannot reach the store records its release there and
    /// succeeds, and later ADDs, DELs and GCs complete it.
    public init(config: IPAMConfig, network: NetworkName, store: any KeyValueStore, hostID: String? = nil,
                blockMemory: (any BlockMemory)? = nil, pending: PendingReleases? = nil) {
        self.config = config
        self.pending = pending
        let blocks = hostID.map {
            BlockAllocator(store: store, network: network, rangeSets: config.rangeSets,
                           layout: BlockLayout(hostID: $0, size: config.blockSize, gracePeriod: config.blockGracePeriod),
                           memory: blockMemory)
        }
        leases = LeaseManager(store: store, network: network, blocks: blocks)
    }

    public func add<C>(_ request: AttachmentRequest<C>) throws -> CNIResult {
        try add(request.attachment, args: request.args, network: request.network)
    }

    /// Leases addresses and describes them as an IPAM result (no interfaces).
    ///
    /// Everything that can fail comes before the lease, so a failed ADD holds no address; releasing
    /// afterwards instead could take a live attachment's lease, which a repeated ADD gets back.
    public func add(_ attachment: Attachment, args: CNIArgs, network: NetworkConfig) throws -> CNIResult {
        let requested = try RequestedAddresses.from(args: args, network: network)
        let dns = try config.resolvConf.map(ResolvConf.load)
        try pending?.complete(with: leases)
        let leased = try leases.acquire(for: attachment, from: config.rangeSets, requested: requested)
        return CNIResult(
            ips: leased.map { CNIResult.IPConfig(address: $0.interfaceAddress, gateway: $0.range.gateway) },
            routes: config.routes,
            dns: dns
        )
    }

    /// See `LeaseManager.restore`.
    @discardableResult
    public func restore(_ holder: Attachment, holding addresses: [IPAddress], displacing: Attachment) throws -> Bool {
        try leases.restore(holder, holding: addresses, displacing: displacing)
    }

    /// Releases the attachment's leases. When the store does not answer and `pending` is set, the
    /// release is recorded there instead (the addresses stay held until it completes) and DEL
    /// succeeds: the host's side is gone by then, and a runtime would only repeat the DEL.
    public func del(_ attachment: Attachment) throws {
        do {
            try pending?.complete(with: leases)
            try leases.release(attachment)
        } catch where pending != nil && PendingReleases.isTransient(error) {
            try pending?.record(attachment)
        }
    }

    /// Verifies the attachment still holds its leases, and that the addresses a previous result
    /// reported from our ranges are among them.
    public func check(_ attachment: Attachment, prevResult: CNIResult?) throws {
        let held = try leases.addresses(of: attachment)
        guard !held.isEmpty else {
            throw IPAMError.invalidRequest("no address is leased to \(attachment.containerID)/\(attachment.interface)")
        }
        for ip in prevResult?.ips ?? [] where config.rangeSets.contains(where: { $0.range(containing: ip.address.address) != nil }) {
            guard held.contains(ip.address.address) else {
                throw IPAMError.invalidRequest(
                    "address \(ip.address.address) is not leased to \(attachment.containerID)/\(attachment.interface)")
            }
        }
    }

    /// Releases the leases of every attachment not in `valid`.
    @discardableResult
    public func gc(keeping valid: Set<Attachment>) throws -> [Attachment] {
        try pending?.complete(with: leases, always: true)
        return try leases.releaseAll(except: valid)
    }

    /// Fails unless the store accepts writes.
    public func status() throws {
        try leases.verifyWritable()
    }
}
