import KV
import KVSQLite

/// The local store's file inside its `dataDir`.
let localStoreFileName = "store.db"

/// Opens the store `configuration` names, creating a local one that is not there yet: the one place
/// that turns a configuration into a backend.
///
/// - Throws: `KVError` as the backend reports it.
public func openStore(_ configuration: StoreConfiguration) throws -> any KeyValueStore {
    switch configuration {
    case .local(let dataDir): try SQLiteStore(path: localStorePath(dataDir))
    }
}

/// Opens the store `configuration` names if it exists, creating nothing: for readers, to whom a
/// store never written holds nothing. `nil` if there is none.
public func openExistingStore(_ configuration: StoreConfiguration) throws -> (any KeyValueStore)? {
    switch configuration {
    case .local(let dataDir): try SQLiteStore.openExisting(path: localStorePath(dataDir))
    }
}

private func localStorePath(_ dataDir: String) -> String {
    "\(dataDir)/\(localStoreFileName)"
}
