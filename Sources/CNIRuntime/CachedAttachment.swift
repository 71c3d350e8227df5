import Addressing
import CNI
import Identity
import JSON

/// One entry of the result cache, in libcni's `cniCacheV1` format, so that podman, cnitool and
/// netctl read each other's entries:
///
///     {"kind": "cniCacheV1", "containerId": ..., "config": <base64 of the list's bytes>,
///      "ifName": ..., "networkName": ..., "netns": ..., "cniArgs": [[k, v], ...],
///      "capabilityArgs": {...}, "result": {<the final ADD result, with its cniVersion>}}
///
/// `netns`, `cniArgs`, `capabilityArgs` and `result` are left out when empty, as Go's `omitempty` does.
public struct CachedAttachment: Sendable {
    public static let kind = "cniCacheV1"

    public var network: NetworkName
    public var runtime: RuntimeConfig
    /// The configuration list's bytes at ADD time.
    public var config: [UInt8]
    /// The final ADD result as the cache holds it (a document with its own `cniVersion`).
    public var result: JSONValue?

    public init(network: NetworkName, runtime: RuntimeConfig, config: [UInt8], result: JSONValue?) {
        self.network = network
        self.runtime = runtime
        self.config = config
        self.result = result
    }

    public var attachmentID: AttachmentID { AttachmentID(network: network, attachment: runtime.attachment) }

    /// The cached result in the 1.1.0 model; `nil` when there is none or it does not parse.
    public var parsedResult: CNIResult? {
        result.flatMap { try? JSONCodec.decode(CNIResult.self, from: $0) }
    }

    /// The entry's JSON text.
    public func encoded() -> [UInt8] {
        var members: [String: JSONValue] = [
            "kind": .string(Self.kind),
            "containerId": .string(runtime.containerID.rawValue),
            "config": .string(Base64.encode(config)),
            "ifName": .string(runtime.interface.rawValue),
            "networkName": .string(network.rawValue),
        ]
        if let netns = runtime.netns, !netns.isEmpty { members["netns"] = .string(netns) }
        if !runtime.args.isEmpty {
            members["cniArgs"] = .array(runtime.args.map { .array([.string($0.key), .string($0.value)]) })
        }
        if !runtime.capabilityArgs.isEmpty { members["capabilityArgs"] = .object(runtime.capabilityArgs) }
        if let result { members["result"] = result }
        return JSONWriter.write(.object(members))
    }

    /// Parses an entry. Throws for text that is not a `cniCacheV1` entry naming a valid network,
    /// container ID and interface.
    public init(parsing bytes: [UInt8]) throws {
        guard case .object(let members) = try JSONParser.parse(bytes) else { throw CacheFormatError("not a JSON object") }
        guard members["kind"] == .string(Self.kind) else { throw CacheFormatError("kind is not \"\(Self.kind)\"") }
        guard case .string(let networkText)? = members["networkName"], let network = NetworkName(networkText) else {
            throw CacheFormatError("no valid networkName")
        }
        guard case .string(let idText)? = members["containerId"], let containerID = ContainerID(idText) else {
            throw CacheFormatError("no valid containerId")
        }
        guard case .string(let ifText)? = members["ifName"], let interface = InterfaceName(ifText) else {
            throw CacheFormatError("no valid ifName")
        }
        var config: [UInt8] = []
        if case .string(let encoded)? = members["config"] {
            guard let decoded = Base64.decode(encoded) else { throw CacheFormatError("config is not base64") }
            config = decoded
        }
        var netns: String?
        if case .string(let path)? = members["netns"], !path.isEmpty { netns = path }
        var args: [(key: String, value: String)] = []
        if case .array(let pairs)? = members["cniArgs"] {
            for pair in pairs {
                guard case .array(let parts) = pair, parts.count == 2, case .string(let key) = parts[0],
                      case .string(let value) = parts[1] else { throw CacheFormatError("cniArgs is not a list of pairs") }
                args.append((key, value))
            }
        }
        var capabilityArgs: [String: JSONValue] = [:]
        if case .object(let values)? = members["capabilityArgs"] { capabilityArgs = values }
        var result: JSONValue?
        if case .object? = members["result"] { result = members["result"] }
        self.init(network: network,
                  runtime: RuntimeConfig(containerID: containerID, netns: netns, interface: interface,
                                         args: args, capabilityArgs: capabilityArgs),
                  config: config, result: result)
    }
}

/// A cache file that is not a `cniCacheV1` entry.
public struct CacheFormatError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
