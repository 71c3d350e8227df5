import Glibc
import JSON
import Logging
import Overlay
import POSIX
import ServiceLog
import Stores

/// vxlan-agent [--data-dir DIR] [--foreground]
///
/// Programs this host's VXLAN devices with the other hosts' containers from the shared store (see
/// docs/vxlan.md). Its store is the one DIR/vxlan-agent.json names, which the plugin writes. Exits
/// 0 at once if another instance holds the lock of DIR.
let usage = "usage: vxlan-agent [--data-dir DIR] [--foreground]"

func fail(_ message: String) -> Never {
    _ = ProcessIO.writeAll(STDERR_FILENO, Array("vxlan-agent: \(message)\n".utf8))
    exit(1)
}

var dataDir = StoreConfiguration.defaultDataDir
var foreground = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--data-dir" where !arguments.isEmpty: dataDir = arguments.popFirst()!
    case "--foreground": foreground = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default: fail("unknown argument \(argument)\n\(usage)")
    }
}
signal(SIGPIPE, SIG_IGN)

let paths = AgentPaths(dataDir: dataDir)
let lock: InstanceLock
do {
    guard let acquired = try InstanceLock.acquire(paths.lock) else {
        // Another instance serves this directory.
        exit(0)
    }
    lock = acquired
} catch {
    fail("cannot open \(paths.lock): \(error)")
}
lock.record(pid: getpid())

do {
    try ServiceLog.bootstrap(foreground ? .standardError : .file(paths.log))
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
                          logger: logger)
    logger.info("started (pid \(getpid())) for \(dataDir) as host \(hostID), host TTL \(configuration.hostTTL)")
    agent.run()
} catch {
    logger.error("\(error)")
    fail("\(error)")
}
