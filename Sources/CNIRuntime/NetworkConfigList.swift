import CNI
import Identity
import JSON

/// A network configuration list as a runtime loads it (libcni's `NetworkConfFromBytes`): the list's
/// own keys, each plugin's object untouched, and the bytes it was read from, which the result cache
/// keeps so that a DEL can run after the file has changed or gone.
public struct NetworkConfigList: Sendable {
    /// One element of `plugins`.
    public struct Plugin: Sendable {
        /// The plugin's object as written, every key kept.
        public let object: JSONValue
        public let type: String
        /// The capabilities the plugin declares `true` (`"capabilities": {"portMappings": true}`).
        public let capabilities: Set<String>
    }

    public let name: NetworkName
    /// The version every plugin is run with: the highest of `cniVersion` and `cniVersions` that
    /// this runtime speaks (versions above `CNIVersion.latest` are ignored, as libcni ignores those
    /// above its own).
    public var cniVersion: CNIVersion
    /// Every version the list offers that this runtime speaks, highest first; the plugins' VERSION
    /// answers may narrow the choice (`NetworkRunner.negotiate`).
    public let offeredVersions: [CNIVersion]
    public let disableCheck: Bool
    public let disableGC: Bool
    public let plugins: [Plugin]
    /// The document the list was parsed from (for a single-plugin `.conf`, the list it was turned into).
    public let bytes: [UInt8]
    /// The file it came from; `nil` when it came from elsewhere (the result cache).
    public let path: String?

    /// Parses a `.conflist` document. Errors name `path` (or "configuration list") and say what is wrong.
    public init(parsing bytes: [UInt8], path: String? = nil) throws {
        let source = path ?? "configuration list"
        let members = try Self.object(bytes, source: source, kind: "a configuration list")
        guard case .string(let nameText)? = members["name"] else {
            throw CNIError(.invalidNetworkConfig, "\(source): no \"name\" (a string) in the configuration list")
        }
        guard let name = NetworkName(nameText) else {
            throw CNIError(.invalidNetworkConfig, "\(source): \(NetworkName.refusal(nameText))")
        }
        var texts: [String] = []
        switch members["cniVersion"] {
        case .string(let text)?: texts.append(text)
        case nil: break
        default: throw CNIError(.invalidNetworkConfig, "\(source): \"cniVersion\" must be a string")
        }
        switch members["cniVersions"] {
        case .array(let values)?:
            for value in values {
                guard case .string(let text) = value else {
                    throw CNIError(.invalidNetworkConfig, "\(source): \"cniVersions\" must be a list of strings")
                }
                texts.append(text)
            }
        case nil: break
        default: throw CNIError(.invalidNetworkConfig, "\(source): \"cniVersions\" must be a list of strings")
        }
        let offered = Set(texts.compactMap(CNIVersion.init(rawValue:))).sorted(by: >)
        guard let chosen = offered.first else {
            let asked = texts.isEmpty ? "no cniVersion (0.2.0 is assumed)" : "cniVersion \(texts.joined(separator: ", "))"
            throw CNIError(.incompatibleVersion, "\(source): \(asked) is not supported",
                           details: "netctl runs configuration lists of versions "
                               + CNIVersion.allCases.map(\.rawValue).joined(separator: ", "))
        }
        cniVersion = chosen
        offeredVersions = offered
        disableCheck = try Self.flag("disableCheck", in: members, source: source)
        disableGC = try Self.flag("disableGC", in: members, source: source)
        guard case .array(let list)? = members["plugins"], !list.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "\(source): \"plugins\" must be a non-empty list")
        }
        plugins = try list.enumerated().map { index, object in
            guard case .object(let keys) = object else {
                throw CNIError(.invalidNetworkConfig, "\(source): plugin \(index) is not a JSON object")
            }
            guard case .string(let type)? = keys["type"], !type.isEmpty else {
                throw CNIError(.invalidNetworkConfig, "\(source): plugin \(index) has no \"type\"")
            }
            var capabilities: Set<String> = []
            if case .object(let declared)? = keys["capabilities"] {
                for (capability, value) in declared where value == .bool(true) { capabilities.insert(capability) }
            }
            return Plugin(object: object, type: type, capabilities: capabilities)
        }
        self.name = name
        self.bytes = bytes
        self.path = path
    }

    /// Parses a single-plugin `.conf`/`.json` file as a list of that one plugin, as libcni's
    /// `ConfListFromConf` does.
    public init(parsingSinglePlugin bytes: [UInt8], path: String? = nil) throws {
        let members = try Self.object(bytes, source: path ?? "network configuration", kind: "a network configuration")
        var list: [String: JSONValue] = ["plugins": .array([.object(members)])]
        list["name"] = members["name"]
        list["cniVersion"] = members["cniVersion"]
        try self.init(parsing: JSONWriter.write(.object(list)), path: path)
    }

    /// Parses a file by its extension: `.conflist` as a list, `.conf` and `.json` as one plugin.
    public init(contentsOf bytes: [UInt8], path: String) throws {
        if path.hasSuffix(".conflist") {
            try self.init(parsing: bytes, path: path)
        } else {
            try self.init(parsingSinglePlugin: bytes, path: path)
        }
    }

    /// The plugin that makes the interface: the first one (the others are chained after it).
    public var mainPlugin: Plugin { plugins[0] }

    /// The document's members; code 6 for text that is not JSON, 7 for JSON that is not an object.
    private static func object(_ bytes: [UInt8], source: String, kind: String) throws -> [String: JSONValue] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw CNIError(.decodingFailure, "\(source): invalid JSON", details: error.description)
        }
        guard case .object(let members) = document else {
            throw CNIError(.invalidNetworkConfig, "\(source): \(kind) must be a JSON object")
        }
        return members
    }

    /// libcni's booleans: `true`/`false`, or those words as strings in any case.
    private static func flag(_ key: String, in members: [String: JSONValue], source: String) throws -> Bool {
        switch members[key] {
        case nil: return false
        case .bool(let value)?: return value
        case .string(let text)? where text.lowercased() == "true": return true
        case .string(let text)? where text.lowercased() == "false": return false
        default: throw CNIError(.invalidNetworkConfig, "\(source): \"\(key)\" must be true or false")
        }
    }
}
