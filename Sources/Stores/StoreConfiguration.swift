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
        guard isPlainAbsolutePath(dataDir) else {
            throw StoreConfigurationError("dataDir \"\(dataDir)\" must be an absolute path without \"..\"")
        }
        return .local(dataDir: dataDir)
    }

    /// Whether `path` starts with `/` and holds neither a NUL byte nor a `..` component. One walk over
    /// the bytes: splitting the path into components cost a plugin run 20,000 instructions.
    private static func isPlainAbsolutePath(_ path: String) -> Bool {
        guard path.utf8.first == UInt8(ascii: "/") else { return false }
        // How many dots the current component holds so far, or -1 once it holds anything else.
        var dots = 0
        for byte in path.utf8 {
            switch byte {
            case 0: return false
            case UInt8(ascii: "/"):
                guard dots != 2 else { return false }
                dots = 0
            case UInt8(ascii: "."):
                if dots >= 0 { dots += 1 }
            default:
                dots = -1
            }
        }
        return dots != 2
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
