/// The overlay agent's files, in the store's data directory: one agent per directory.
public struct AgentPaths: Sendable, Equatable {
    /// Held with `flock` by the running agent, so that concurrent starts leave exactly one.
    public let lock: String
    /// The agent's log when it runs detached.
    public let log: String
    /// The store the agent watches: `{"dataDir": ..., "store": {...}}`, written by the plugin.
    public let configuration: String

    /// The agent's executable, looked up in CNI_PATH.
    public static let executable = "vxlan-agent"

    public init(dataDir: String) {
        let directory = dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir
        lock = directory + "/vxlan-agent.lock"
        log = directory + "/vxlan-agent.log"
        configuration = directory + "/vxlan-agent.json"
    }
}
