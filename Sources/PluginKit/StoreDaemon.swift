import CNI
import Glibc
import POSIX
import Stores

/// A daemon a plugin starts for its data directory (the DNS responder, the overlay agent): detached,
/// with `--data-dir`, and with the host's store configuration file passed on, so that it opens the
/// store the plugin opened.
public enum StoreDaemon {
    /// Spawns `path` for `dataDir`; a failure is code 4 ("not available") naming `plugin` and `path`.
    public static func spawn(_ path: String, dataDir: String, for plugin: String) throws {
        var environment: [String: String] = [:]
        if let file = getenv(HostStoreFile.variable) { environment[HostStoreFile.variable] = String(cString: file) }
        do {
            _ = try DetachedProcess.spawn(path, arguments: ["--data-dir", dataDir], environment: environment)
        } catch {
            throw CNIError(.notAvailable, "\(plugin): cannot start \(path): \(error)")
        }
    }
}
