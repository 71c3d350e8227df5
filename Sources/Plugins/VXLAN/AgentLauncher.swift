import CNI
import Glibc
import JSON
import Overlay
import PluginKit
import POSIX

/// Starts the host's overlay agent when none runs, the way `dnsname` starts its responder: detached,
/// from CNI_PATH, and guarded by the agent's own lock so that concurrent starts leave one.
struct AgentLauncher {
    let paths: AgentPaths
    let dataDir: String
    let searchPath: [String]

    init(dataDir: String, searchPath: [String]) {
        paths = AgentPaths(dataDir: dataDir)
        self.dataDir = dataDir
        self.searchPath = searchPath
    }

    /// Makes sure the agent knows this store and runs. The agent itself only reads the store and
    /// programs the kernel, so ADD does not wait for it.
    func ensureRunning(networkConfig stdin: [UInt8], hostTTL: Int) throws {
        try writeConfiguration(from: stdin, hostTTL: hostTTL)
        guard !InstanceLock.isHeld(paths.lock) else { return }
        guard let path = DetachedProcess.executable(named: AgentPaths.executable, in: searchPath) else {
            throw CNIError(.notAvailable, "vxlan: \(AgentPaths.executable) is not in CNI_PATH",
                           details: "the overlay agent must be installed next to the plugin")
        }
        try StoreDaemon.spawn(path, dataDir: dataDir, for: "vxlan")
    }

    /// `{"dataDir": ..., "hostTTL": ..., "store": ...}` with the network's `store` object as given
    /// (here or in its `ipam` section), written only when it changed, by rename so the agent never
    /// reads half a file. A running agent keeps what it read at its start.
    private func writeConfiguration(from stdin: [UInt8], hostTTL: Int) throws {
        let document = try JSONCodec.document(from: stdin)
        var members: [String: JSONValue] = ["dataDir": .string(dataDir), "hostTTL": .number(String(hostTTL))]
        if case .object(let top) = document {
            if let store = top["store"] {
                members["store"] = store
            } else if case .object(let ipam)? = top["ipam"], let store = ipam["store"] {
                members["store"] = store
            }
        }
        let bytes = JSONWriter.write(.object(members))
        if let current = try? RegularFile.contents(atPath: paths.configuration, limit: 64 * 1024), current == bytes { return }
        mkdir(dataDir, 0o700)
        do {
            try RegularFile.replace(atPath: paths.configuration, with: bytes)
        } catch {
            throw CNIError(.ioFailure, "vxlan: cannot write \(paths.configuration): \(error)")
        }
    }
}
