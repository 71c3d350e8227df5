import CNI
import IPAM
import PluginKit

/// `kv-ipam`: host-local compatible address management on the swift-cni store, usable by any CNI
/// plugin (the reference `bridge` too) through CNI_PATH. Our own plugins run the same code
/// in-process instead of executing this binary. Run by hand, it answers `kv-ipam leases` (see
/// `LeaseQuery`).
public struct KVIPAMPlugin: CNIPlugin {
    public typealias Config = EmptyConfig
    public static let name = "kv-ipam"

    public init() {}

    public static func commandLine(_ arguments: [String]) -> PluginRunner.Output? {
        LeaseQuery.answer(arguments)
    }

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
