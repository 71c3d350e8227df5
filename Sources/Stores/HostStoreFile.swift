import Glibc
import JSON
import POSIX

/// The host-wide store choice, `/etc/swift-cni/store.json`: the same `store` object a plugin
/// configuration may hold, for every plugin whose configuration names none. The environment variable
/// `SWIFT_CNI_STORE_CONFIG` names another file (tests do).
public enum HostStoreFile {
    static let defaultPath = "/etc/swift-cni/store.json"
    /// The environment variable naming another file; daemons a plugin starts are given it too.
    public static let variable = "SWIFT_CNI_STORE_CONFIG"

    static var path: String {
        guard let value = getenv(variable), value.pointee != 0 else { return defaultPath }
        return String(cString: value)
    }

    /// The store the file names, or `nil` when there is no file.
    static func read() throws -> StoreChoice? {
        let path = self.path
        let bytes: [UInt8]
        do {
            bytes = try RegularFile.contents(atPath: path, limit: 64 * 1024)
        } catch let error where error.problem == .system(Errno(ENOENT)) {
            return nil
        } catch {
            throw StoreConfigurationError("\(error)")
        }
        do {
            return try JSONCodec.decode(StoreChoice.self, from: bytes)
        } catch {
            throw StoreConfigurationError("\(path): \(error)")
        }
    }
}

/// A `store` object: which backend, with its settings.
enum StoreChoice: Decodable {
    case local
    case etcd(EtcdStoreSettings)

    private enum CodingKeys: String, CodingKey { case type }

    init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .type)
        switch type {
        case "etcd": self = .etcd(try EtcdStoreSettings(from: decoder))
        case "local", "sqlite": self = .local
        default: throw StoreConfigurationError("store: \"type\" \"\(type)\" is not \"etcd\" or \"local\"")
        }
    }
}
