import BridgePlugin
import CNI
import MacvlanPlugin
import PortmapPlugin

/// libFuzzer's entry point for everything a plugin reads from a runtime before it touches the
/// kernel: the CNI environment and the config on stdin (see `FuzzInput` for how an input holds
/// both).
///
/// Each input goes through
/// - the JSON parser and writer, and the result and error decoders, on stdin alone (what a
///   delegate prints is parsed by the same code);
/// - `PluginRunner` with `DecodingPlugin` once per plugin `Config` (bridge, macvlan, portmap, and
///   the key-less one of none, host and kv-ipam): environment validation, `NetworkConfig` with its
///   `prevResult`, the plugin's own keys, then the `ipam` section and the other request decoding.
///
/// `Invariants` says what must hold besides not crashing. The namespace guard stats CNI_NETNS,
/// which opens nothing, and nothing else here reads a file or the kernel.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCNI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(UnsafeBufferPointer(start: data, count: size))
    Invariants.checkJSON(input.stdin)
    Invariants.checkResult(input.stdin)
    Invariants.checkError(input.stdin)
    let plugins: [any CNIPlugin.Type] = [
        DecodingPlugin<BridgeConfig>.self, DecodingPlugin<MacvlanConfig>.self,
        DecodingPlugin<PortmapConfig>.self, DecodingPlugin<EmptyConfig>.self,
    ]
    for plugin in plugins {
        let output = PluginRunner.run(plugin, environment: input.environment, stdin: input.stdin)
        Invariants.checkRun(output, command: input.environment["CNI_COMMAND"])
    }
    return 0
}
