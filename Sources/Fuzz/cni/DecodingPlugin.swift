import Addressing
import CNI
import IPAM
import PluginKit

/// A plugin that stops where the real ones reach for the kernel: with a real plugin's `Config`, the
/// runner validates and decodes a request exactly as for that plugin, and the methods then decode
/// what the plugins decode from it (the `ipam` section, the requested addresses and MAC, CHECK's
/// expected result) and hold every interface name to the kernel's rules. ADD returns the previous
/// result, so the runner encodes a decoded result in the config's version.
struct DecodingPlugin<Config: Decodable & InterfaceNaming>: CNIPlugin {
    static var name: String { "fuzz" }

    init() {}

    func add(_ request: AttachmentRequest<Config>) throws -> CNIResult {
        try decode(request)
        return request.network.prevResult ?? CNIResult()
    }

    func del(_ request: AttachmentRequest<Config>) throws {
        try decode(request)
    }

    func check(_ request: AttachmentRequest<Config>) throws {
        _ = try request.expectedResult()
        try decode(request)
    }

    func gc(_ request: NetworkRequest<Config>) throws {
        _ = request.validAttachments
        try decode(request.network, request.config, stdin: request.stdin)
    }

    func status(_ request: NetworkRequest<Config>) throws {
        try decode(request.network, request.config, stdin: request.stdin)
    }

    private func decode(_ request: AttachmentRequest<Config>) throws {
        Invariants.checkKernelRules(request.interface)
        Invariants.checkHostAlias(request.attachmentID)
        Invariants.checkDelegateEnvironment(of: request)
        try decode(request.network, request.config, stdin: request.stdin)
        _ = try RequestedMAC.from(request)
        _ = try RequestedAddresses.from(args: request.args, network: request.network)
    }

    /// What every command decodes: the `ipam` section as `kv-ipam` reads it, whichever plugin would
    /// run it (host-local's keys are the same).
    private func decode(_ network: NetworkConfig, _ config: Config, stdin: [UInt8]) throws {
        config.interfaceNames.forEach(Invariants.checkKernelRules)
        guard IPAMDriver.forNetwork(network) != nil else { return }
        _ = try IPAMConfig.decode(networkConfig: stdin)
    }
}
