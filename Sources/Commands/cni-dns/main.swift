import CNI
import DNSRecords
import Glibc
import JSON
import Logging
import POSIX
import ServiceLog
import Stores

/// cni-dns [--data-dir DIR] [--foreground] | --version
///
/// The DNS responder for every network of the host whose attachments registered names (see
/// docs/cni-dns.md). Exits 0 at once if another instance holds the lock of DIR.
let options = DaemonCommandLine(program: "cni-dns", version: "cni-dns \(SuiteVersion.tag) (swift-cni)",
                                arguments: Array(CommandLine.arguments.dropFirst()),
                                defaultDataDir: StoreConfiguration.defaultDataDir)

func fail(_ message: String) -> Never { options.fail(message) }

signal(SIGPIPE, SIG_IGN)
let paths = ResponderPaths(dataDir: options.dataDir)
// The store the plugin that started us names (DIR/cni-dns.json), else the local store of DIR.
let configuration: StoreConfiguration
do {
    if let bytes = try? RegularFile.contents(atPath: paths.configuration, limit: 64 * 1024) {
        configuration = try JSONCodec.decode(StoreConfiguration.self, from: bytes)
    } else {
        configuration = try .local(validating: options.dataDir)
    }
} catch { fail("\(paths.configuration): \(error)") }
mkdir(options.dataDir, 0o700)

let lock = options.holdLockOrExit(paths.lock)

do {
    try ServiceLog.bootstrap(options.foreground ? .standardError : .file(paths.log))
} catch {
    fail("\(error)")
}
let logger = Logger(label: "cni-dns")

let control: Int32
do {
    control = try ControlSocket.listen(at: paths.socket)
} catch {
    logger.error("cannot listen on \(paths.socket): \(error)")
    fail("\(error)")
}

do {
    let daemon = try Daemon(store: try openStore(configuration), control: control, logger: logger)
    logger.info("started (pid \(getpid())) for \(options.dataDir), store \(configuration.summary)")
    try daemon.reload()
    daemon.run()
} catch {
    logger.error("\(error)")
    unlink(paths.socket)
    fail("\(error)")
}
unlink(paths.socket)
