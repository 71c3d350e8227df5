import CNI
import Glibc
import JSON
import Logging
import Overlay
import POSIX
import ServiceLog
import Stores

/// vxlan-agent [--data-dir DIR] [--foreground] | --version
///
/// Programs this host's VXLAN devices with the other hosts' containers from the shared store (see
/// docs/vxlan.md). Its store is the one DIR/vxlan-agent.json names, which the plugin writes. Exits
/// 0 at once if another instance holds the lock of DIR.
let options = DaemonCommandLine(program: "vxlan-agent", version: "vxlan-agent \(SuiteVersion.tag) (swift-cni)", arguments: Array(CommandLine.arguments.dropFirst()),
                                defaultDataDir: StoreConfiguration.defaultDataDir)
let dataDir = options.dataDir

func fail(_ message: String) -> Never { options.fail(message) }

signal(SIGPIPE, SIG_IGN)

let paths = AgentPaths(dataDir: dataDir)
let lock = options.holdLockOrExit(paths.lock)
lock.record(pid: getpid())

do {
    try ServiceLog.bootstrap(options.foreground ? .standardError : .file(paths.log))
} catch {
    fail("\(error)")
}
let logger = Logger(label: "vxlan-agent")

do {
    let configuration = try JSONCodec.decode(AgentConfiguration.self,
                                             from: try RegularFile.contents(atPath: paths.configuration, limit: 64 * 1024))
    guard case .etcd(let settings, _) = configuration.store else {
        fail("\(paths.configuration) names no etcd store")
    }
    let hostID = try settings.resolvedHostID()
    let agent = try Agent(store: try openStore(configuration.store), hostID: hostID, hostTTL: configuration.hostTTL,
                          dataDir: dataDir, logger: logger)
    logger.info("started (pid \(getpid())) for \(dataDir) as host \(hostID), host TTL \(configuration.hostTTL)")
    agent.run()
} catch {
    logger.error("\(error)")
    fail("\(error)")
}
