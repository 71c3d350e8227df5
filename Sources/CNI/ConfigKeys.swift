import JSON

/// The keys a configuration reads, so that a key it does not read can be named.
///
/// An unknown key is never an error: runtimes and tools add keys of their own, and the spec lets
/// plugins ignore what they do not understand. But a misspelt key (`"brige"`) silently leaves its
/// default in place, so `PluginRunner` names every key outside a plugin's `ConfigKeys` in one
/// warning line on stderr (see `warning(plugin:unknown:)`), and goes on.
public indirect enum ConfigKeys: Sendable {
    /// Any value; what it holds is not checked.
    case any
    /// An object with these members. An `open` object also takes members it does not list
    /// without naming them (a configuration that is another plugin's, around a section of ours).
    case object([String: ConfigKeys], open: Bool = false)
    /// A list whose every element is described by the one schema.
    case list(ConfigKeys)
    /// An object described by the schema for its `type` member. Objects of other types are not
    /// checked: they configure another plugin (an `ipam` section for a delegated IPAM plugin).
    case byType([String: ConfigKeys])

    /// An object with members `names`, whose values are not checked, and `nested` members whose
    /// values are.
    public static func keys(_ names: some Sequence<String>, nested: [String: ConfigKeys] = [:]) -> ConfigKeys {
        var members = nested
        for name in names where members[name] == nil { members[name] = .any }
        return .object(members)
    }

    /// The keys of a `CodingKey` enumeration, plus `also` (keys another implementation reads that
    /// this one accepts and ignores) and `nested` sections: a plugin config's keys stay exactly
    /// what its decoder reads.
    public static func keys<Key: CodingKey & CaseIterable>(of codingKeys: Key.Type, also: [String] = [],
                                                           nested: [String: ConfigKeys] = [:]) -> ConfigKeys {
        keys(codingKeys.allCases.map(\.stringValue) + also, nested: nested)
    }

    /// Keys of the top level that every plugin configuration may carry, whatever the plugin: the
    /// spec's (SPEC.md, "Plugin configuration objects" and the request's added keys), GC's
    /// attachment list in both spellings libcni sends, and a network list's own keys, which
    /// tools copy into each plugin's configuration.
    public static let shared: Set<String> = [
        "cniVersion", "name", "type", "ipam", "dns", "ipMasq", "prevResult", "runtimeConfig", "capabilities",
        "args", "cni.dev/valid-attachments", "cni.dev/attachments",
        "cniVersions", "disableCheck", "disableGC", "loadOnlyInlinedPlugins",
    ]

    /// The key paths in `document` that a plugin configuration of this schema does not read, in
    /// the order of their names (`ipam.ranges[0][0].rangeStrat`): the top level takes `shared`
    /// keys as well.
    public func unknownKeys(inPluginConfig document: JSONValue) -> [String] {
        var found: [String] = []
        collectUnknown(in: document, at: "", alsoKnown: Self.shared, into: &found)
        return found
    }

    /// The key paths in `value` that this schema does not read.
    public func unknownKeys(in value: JSONValue) -> [String] {
        var found: [String] = []
        collectUnknown(in: value, at: "", alsoKnown: [], into: &found)
        return found
    }

    /// A value of another JSON type than the schema's is left to the decoder, which reports it.
    private func collectUnknown(in value: JSONValue, at path: String, alsoKnown: Set<String>,
                                into found: inout [String]) {
        switch (self, value) {
        case (.object(let members, let open), .object(let fields)):
            for name in fields.keys.sorted() {
                let memberPath = path.isEmpty ? name : "\(path).\(name)"
                if let schema = members[name] {
                    schema.collectUnknown(in: fields[name]!, at: memberPath, alsoKnown: [], into: &found)
                } else if !open && !alsoKnown.contains(name) {
                    found.append(memberPath)
                }
            }
        case (.list(let element), .array(let items)):
            for (index, item) in items.enumerated() {
                element.collectUnknown(in: item, at: "\(path)[\(index)]", alsoKnown: [], into: &found)
            }
        case (.byType(let schemas), .object(let fields)):
            guard case .string(let type)? = fields["type"], let schema = schemas[type] else { return }
            schema.collectUnknown(in: value, at: path, alsoKnown: alsoKnown, into: &found)
        default:
            return
        }
    }

    /// The one stderr line naming `unknown` keys of `plugin`'s configuration, or nothing when there
    /// are none. Names are quoted and escaped, so a key with a newline in it still makes one line.
    public static func warning(plugin: String, unknown: [String]) -> [UInt8] {
        guard !unknown.isEmpty else { return [] }
        let names = unknown.map(\.debugDescription).joined(separator: ", ")
        let noun = unknown.count == 1 ? "key" : "keys"
        return Array("\(plugin): warning: unknown configuration \(noun) \(names) ignored\n".utf8)
    }
}

/// A plugin configuration that lists the keys it reads (see `ConfigKeys`).
public protocol KnownConfigKeys {
    /// The keys of the plugin's own configuration object, beyond `ConfigKeys.shared`.
    static var configKeys: ConfigKeys { get }
}
