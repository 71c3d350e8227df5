import Glibc
import KV
import KVEtcd
import KVSQLite
import POSIX

/// The local store's file inside its `dataDir`.
let localStoreFileName = "store.db"

/// Opens the store `configuration` names, creating a local one that is not there yet: the one place
/// that turns a configuration into a backend.
///
/// - Throws: `KVError` as the backend reports it, or `StoreConfigurationError` when the file system
///   shows the local store can never be opened where the configuration puts it.
public func openStore(_ configuration: StoreConfiguration) throws -> any KeyValueStore {
    switch configuration {
    case .local(let dataDir):
        do {
            return try SQLiteStore(path: DataDirectory.storePath(in: dataDir))
        } catch let error as KVError {
            guard case .unavailable = error, let problem = DataDirectory.lastingProblem(at: dataDir) else {
                throw error
            }
            throw StoreConfigurationError("dataDir \"\(dataDir)\" \(problem)")
        }
    case .etcd(let settings, let dataDir):
        return try EtcdStore(clientConfiguration(settings, dataDir: dataDir, creating: true), namespace: settings.prefix)
    }
}

/// A store and the configuration it was opened from, so that code handed it can tell whether it is
/// the store it would open itself, and use it (its kept-alive connection) instead of another.
public struct OpenedStore {
    public let configuration: StoreConfiguration
    public let store: any KeyValueStore

    public init(_ configuration: StoreConfiguration) throws {
        self.configuration = configuration
        store = try openStore(configuration)
    }
}

/// The store `configuration` names: `opened` when it was opened from the same one, else a new one.
public func openStore(_ configuration: StoreConfiguration, reusing opened: OpenedStore?) throws -> any KeyValueStore {
    if let opened, opened.configuration == configuration { return opened.store }
    return try openStore(configuration)
}

/// The client settings, with the password read from its file now, at the edge.
func clientConfiguration(_ settings: EtcdStoreSettings, dataDir: String, creating: Bool) throws -> EtcdClientConfiguration {
    var password: String?
    switch settings.password {
    case .inline(let text)?: password = text
    case .file(let path)?:
        do {
            let bytes = try RegularFile.contents(atPath: path, limit: 4096)
            // A trailing newline, as editors and `echo` leave, is not part of the password.
            password = String(decoding: bytes.last == 10 ? bytes.dropLast() : bytes[...], as: UTF8.self)
        } catch {
            throw StoreConfigurationError("store: \"passwordFile\" \(error)")
        }
    case nil: break
    }
    return EtcdClientConfiguration(endpoints: settings.endpoints, timeout: settings.timeout,
                                   username: settings.username, password: password, tls: settings.tls,
                                   tokenFile: settings.username == nil ? nil : tokenFile(in: dataDir, creating: creating))
}

/// Opens the store `configuration` names if it exists, creating nothing: for readers, to whom a
/// store never written holds nothing. `nil` if there is none.
public func openExistingStore(_ configuration: StoreConfiguration) throws -> (any KeyValueStore)? {
    switch configuration {
    case .local(let dataDir): try SQLiteStore.openExisting(path: DataDirectory.storePath(in: dataDir))
    case .etcd(let settings, let dataDir):
        try EtcdStore(clientConfiguration(settings, dataDir: dataDir, creating: false), namespace: settings.prefix)
    }
}

/// Where a plugin keeps etcd's authentication token for the next plugin run: in the host's own
/// `dataDir`, which `creating` makes (mode 0700, as the local store makes it) if it is not there.
func tokenFile(in dataDir: String, creating: Bool) -> String {
    if creating { mkdir(dataDir, 0o700) }
    return "\(dataDir)/etcd-token"
}
