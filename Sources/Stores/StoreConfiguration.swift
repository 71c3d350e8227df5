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

    /// The local store in `dataDir`, which must name a directory plainly: absolute, and without `..`
    /// that could lead elsewhere.
    public static func local(validating dataDir: String) throws -> StoreConfiguration {
        guard dataDir.hasPrefix("/"), !dataDir.contains("\0"),
              !dataDir.split(separator: "/").contains("..") else {
            throw StoreConfigurationError("dataDir \"\(dataDir)\" must be an absolute path without \"..\"")
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
