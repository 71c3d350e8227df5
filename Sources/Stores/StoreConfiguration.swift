/// Which store to use and where it is, as a configuration names it. Decoded from the object that
/// holds the keys (the `ipam` section of a network configuration): its `store` object, else the
/// host-wide `/etc/swift-cni/store.json`, else the local store in `dataDir` (default
/// `defaultDataDir`).
public enum StoreConfiguration: Sendable, Equatable {
    /// The store on this host, in the directory `dataDir`: one per host, shared by every network and
    /// every plugin process.
    case local(dataDir: String)
    /// An etcd cluster shared by many hosts; `dataDir` still holds what this host keeps for itself.
    case etcd(EtcdStoreSettings, dataDir: String)

    /// The host's own directory: the local store, or beside a shared one what stays on the host
    /// (the DNS responder's socket, lock and log).
    public var dataDir: String {
        switch self {
        case .local(let dataDir), .etcd(_, let dataDir): dataDir
        }
    }

    /// Which store this is, for a log line (no credentials).
    public var summary: String {
        switch self {
        case .local(let dataDir): "local in \(dataDir)"
        case .etcd(let settings, _): "etcd \(settings.endpoints.map(\.description).joined(separator: ",")) prefix \(settings.prefix)"
        }
    }

    /// Where the local store lives when `dataDir` is not set.
    public static let defaultDataDir = "/var/lib/swift-cni"

    /// The local store in `dataDir`, which must name a directory plainly (absolute, without `..` that
    /// could lead elsewhere, valid UTF-8) and leave room for the store's file inside it.
    public static func local(validating dataDir: String) throws -> StoreConfiguration {
        if let problem = DataDirectory.problem(with: dataDir) {
            throw StoreConfigurationError("dataDir \"\(dataDir)\" \(problem)")
        }
        return .local(dataDir: dataDir)
    }
}

extension StoreConfiguration: Decodable {
    private enum CodingKeys: String, CodingKey {
        case dataDir, store
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let local = try Self.local(validating: container.decodeIfPresent(String.self, forKey: .dataDir) ?? Self.defaultDataDir)
        guard case .local(let dataDir) = local else { preconditionFailure("local(validating:) made another store") }
        switch try container.decodeIfPresent(StoreChoice.self, forKey: .store) ?? HostStoreFile.read() {
        case .etcd(let settings)?: self = .etcd(settings, dataDir: dataDir)
        case .local?, nil: self = local
        }
    }
}
