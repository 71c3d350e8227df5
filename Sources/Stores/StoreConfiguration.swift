/// Which store to use and where it is, as a configuration names it. Decoded from the object that
/// holds the keys (the `ipam` section of a network configuration): today `dataDir`, the directory of
/// the local store, which defaults to `defaultDataDir`. A store of another type joins as a case of its
/// own, decoded from a key of its own.
public enum StoreConfiguration: Sendable, Equatable {
    /// The store on this host, in the directory `dataDir`: one per host, shared by every network and
    /// every plugin process.
    case local(dataDir: String)

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
        case dataDir
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = try .local(validating: container.decodeIfPresent(String.self, forKey: .dataDir) ?? Self.defaultDataDir)
    }
}
