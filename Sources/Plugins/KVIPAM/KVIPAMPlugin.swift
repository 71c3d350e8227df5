import CNI
import IPAM
import PluginKit

/// `kv-ipam`: host-local compatible address management on the swift-cni store, usable by any CNI
/// plugin (the reference `bridge` too) through CNI_PATH. Our own plugins run the same code
/// in-process instead of executing this binary.
public struct KVIPAMPlugin: CNIPlugin {
    public static let name = "kv-ipam"

    /// Its keys are the `ipam` section's. The rest of the configuration is the calling plugin's,
    /// whatever that plugin is, so its keys are not checked here.
    public struct Config: Decodable, Sendable, KnownConfigKeys {
        public static let configKeys = ConfigKeys.object(names: [], nested: [.init("ipam", IPAMConfig.configKeys)], open: true)
    }

    public init() {}

    public func add(_ request: AttachmentRequest<Config>) throws -> CNIResult {
        try IPAMDriver.inProcess.add(request)
    }

    public func del(_ request: AttachmentRequest<Config>) throws {
        try IPAMDriver.inProcess.del(request)
    }

    public func check(_ request: AttachmentRequest<Config>) throws {
        try IPAMDriver.inProcess.check(request)
    }

    public func gc(_ request: NetworkRequest<Config>) throws {
        try IPAMDriver.inProcess.gc(request)
    }

    public func status(_ request: NetworkRequest<Config>) throws {
        try IPAMDriver.inProcess.status(request)
    }
}
