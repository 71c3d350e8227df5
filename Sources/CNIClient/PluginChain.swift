import CNI
import Identity
import JSON

/// What a runtime gives each plugin of a network configuration list on stdin, as libcni's
/// `buildOneConfig` writes it: the plugin's own object from the list's `plugins`, with the list's
/// `name` and `cniVersion`, and the previous plugin's result as `prevResult`.
///
/// The previous result is written in the list's version whatever version its plugin answered in
/// (`CNIResult.decode(from:)` reads any), so each plugin of a chain gets the layout its config
/// declares. The runner's building block (`netctl`); no plugin of this suite runs a list.
public enum PluginChain {
    /// The stdin for `plugin`, one element of a list's `plugins`. Keys of the plugin's object named
    /// `name`, `cniVersion` or `prevResult` are replaced; `prevResult` is left out when `nil` (the
    /// first ADD of a chain).
    public static func stdin(for plugin: JSONValue, network: NetworkName, cniVersion: CNIVersion,
                             prevResult: CNIResult?) throws -> [UInt8] {
        guard case .object(var members) = plugin else {
            throw CNIError(.invalidNetworkConfig, "invalid plugin in network \(network)",
                           details: "each element of \"plugins\" must be an object")
        }
        members["name"] = .string(network.rawValue)
        members["cniVersion"] = .string(cniVersion.rawValue)
        members["prevResult"] = try prevResult.map { try JSONParser.parse($0.encoded(as: cniVersion)) }
        return JSONWriter.write(.object(members))
    }
}
