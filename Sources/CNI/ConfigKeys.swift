import JSON

/// The keys a configuration reads, so that a key it does not read can be named.
///
/// An unknown key is never an error: runtimes and tools add keys of their own, and the spec lets
/// plugins ignore what they do not understand. But a misspelt key (`"brige"`) silently leaves its
/// default in place, so `PluginRunner` names every key outside a plugin's `ConfigKeys` in one
/// warning line on stderr (see `warning(plugin:unknown:)`), and goes on.
///
/// Checked on every ADD, so it is built from plain arrays and compared name by name: hashing the
/// few dozen names into dictionaries and sets cost a bridge ADD about 4% of its instructions.
public indirect enum ConfigKeys: Sendable {
    /// Any value; what it holds is not checked.
    case any
    /// An object with members `names`, whose values are not checked, and `nested` members, whose
    /// values are. An `open` object also takes members it does not list, without naming them (a
    /// configuration that is another plugin's, around a section of ours).
    case object(names: [String], nested: [Nested], open: Bool)
    /// A list whose every element is described by the one schema.
    case list(ConfigKeys)
    /// An object described by `keys` when its `type` member is `type`. An object of another type is
    /// not checked: it configures another plugin (an `ipam` section for a delegated IPAM plugin).
    case ofType(String, ConfigKeys)

    /// A member whose value is checked against its own schema.
    public struct Nested: Sendable {
        public let name: String
        public let keys: ConfigKeys

        public init(_ name: String, _ keys: ConfigKeys) {
            self.name = name
            self.keys = keys
        }
    }

    /// A closed object. A plugin config passes its `CodingKeys`' names, so that its keys stay exactly
    /// what its decoder reads, plus those another implementation reads that it accepts and ignores.
    public static func keys(_ names: [String], nested: [Nested] = []) -> ConfigKeys {
        .object(names: names, nested: nested, open: false)
    }

    /// Keys of the top level that every plugin configuration may carry, whatever the plugin: the
    /// spec's (SPEC.md, "Plugin configuration objects" and the request's added keys), GC's
    /// attachment list in both spellings libcni sends, and a network list's own keys, which
    /// tools copy into each plugin's configuration.
    public static let shared = [
        "cniVersion", "name", "type", "ipam", "dns", "ipMasq", "prevResult", "runtimeConfig", "capabilities",
        "args", "cni.dev/valid-attachments", "cni.dev/attachments",
        "cniVersions", "disableCheck", "disableGC", "loadOnlyInlinedPlugins",
    ]

    /// The key paths in `document` that a plugin configuration of this schema does not read, in
    /// the order of their names (`ipam.ranges[0][0].rangeStrat`): the top level takes `shared`
    /// keys as well.
    public func unknownKeys(inPluginConfig document: JSONValue) -> [String] {
        let found = unknown(in: document, alsoKnown: Self.shared)
        return found.count > 1 ? found.sorted() : found
    }

    /// The key paths in `value` that this schema does not read, in the order of their names.
    public func unknownKeys(in value: JSONValue) -> [String] {
        let found = unknown(in: value, alsoKnown: [])
        return found.count > 1 ? found.sorted() : found
    }

    /// Paths relative to `value`, so that a path is only spelt out for a key that is reported. A
    /// value of another JSON type than the schema's is left to the decoder, which reports it.
    private func unknown(in value: JSONValue, alsoKnown: [String]) -> [String] {
        var found: [String] = []
        switch (self, value) {
        case (.object(let names, let nested, let open), .object(let fields)):
            for (name, member) in fields {
                if let section = nested.first(where: { Self.same($0.name, name) }) {
                    for path in section.keys.unknown(in: member, alsoKnown: []) { found.append(Self.join(name, path)) }
                } else if !open && !Self.listed(name, in: names) && !Self.listed(name, in: alsoKnown) {
                    found.append(name)
                }
            }
        case (.list(let element), .array(let items)):
            if case .any = element { break }
            for index in items.indices {
                for path in element.unknown(in: items[index], alsoKnown: []) {
                    found.append(Self.join("[" + String(index) + "]", path))
                }
            }
        case (.ofType(let type, let keys), .object(let fields)):
            guard case .string(let actual)? = fields["type"], Self.same(actual, type) else { break }
            found = keys.unknown(in: value, alsoKnown: alsoKnown)
        default:
            break
        }
        return found
    }

    private static func listed(_ name: String, in names: [String]) -> Bool {
        names.contains { same($0, name) }
    }

    /// `==` with a cheap first test: most names that differ differ in length.
    private static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a == b
    }

    /// `ipam` and `ranges[0][0].gw` make `ipam.ranges[0][0].gw`; `[0]` and `[1].gw` make `[0][1].gw`.
    private static func join(_ parent: String, _ path: String) -> String {
        path.utf8.first == UInt8(ascii: "[") ? parent + path : parent + "." + path
    }

    /// The one stderr line naming `unknown` keys of `plugin`'s configuration, or nothing when there
    /// are none. Names are quoted and escaped, so a key with a newline in it still makes one line.
    public static func warning(plugin: String, unknown: [String]) -> [UInt8] {
        guard !unknown.isEmpty else { return [] }
        var names = ""
        for name in unknown {
            names += names.isEmpty ? name.debugDescription : ", " + name.debugDescription
        }
        let noun = unknown.count == 1 ? "key" : "keys"
        return Array("\(plugin): warning: unknown configuration \(noun) \(names) ignored\n".utf8)
    }
}

/// A plugin configuration that lists the keys it reads (see `ConfigKeys`).
public protocol KnownConfigKeys {
    /// The keys of the plugin's own configuration object, beyond `ConfigKeys.shared`.
    static var configKeys: ConfigKeys { get }
}
