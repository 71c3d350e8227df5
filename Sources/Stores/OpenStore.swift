import KV
import KVSQLite

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
    }
}

/// Opens the store `configuration` names if it exists, creating nothing: for readers, to whom a
/// store never written holds nothing. `nil` if there is none.
public func openExistingStore(_ configuration: StoreConfiguration) throws -> (any KeyValueStore)? {
    switch configuration {
    case .local(let dataDir): try SQLiteStore.openExisting(path: DataDirectory.storePath(in: dataDir))
    }
}
