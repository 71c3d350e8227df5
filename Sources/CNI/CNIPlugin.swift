/// A CNI plugin: one type per executable, handed to `PluginRunner.main` by its `main.swift`.
///
/// The runner does everything the protocol demands before a method is called (environment and
/// config validation, version negotiation, the own-namespace check), so a method receives only
/// validated, typed input. A method reports failure by throwing; `CNIError` and any `CNICodedError`
/// keep their codes, anything else becomes code 999.
public protocol CNIPlugin {
    /// The plugin's own configuration keys, decoded from the same stdin as `NetworkConfig`.
    associatedtype Config: Decodable & KnownConfigKeys

    /// The name printed by the "about" text when the plugin runs without CNI_COMMAND.
    static var name: String { get }

    /// Whether CNI_NETNS may be the plugin's own namespace. Only the `host` plugin says yes: for the
    /// others that is the PID-reuse accident the spec's code 8 guards against.
    static var acceptsOwnNamespace: Bool { get }

    init()

    func add(_ request: AttachmentRequest<Config>) throws -> CNIResult
    func del(_ request: AttachmentRequest<Config>) throws
    func check(_ request: AttachmentRequest<Config>) throws
    func gc(_ request: NetworkRequest<Config>) throws
    func status(_ request: NetworkRequest<Config>) throws
}

extension CNIPlugin {
    public static var acceptsOwnNamespace: Bool { false }
}
