import DNSRecords
import Glibc
import Logging
import POSIX
import ServiceLog
import Stores

/// cni-dns [--data-dir DIR] [--foreground]
///
/// The DNS responder for every network of the host whose attachments registered names (see
/// docs/cni-dns.md). Exits 0 at once if another instance holds the lock of DIR.
let usage = "usage: cni-dns [--data-dir DIR] [--foreground]"

struct Options {
    var dataDir = StoreConfiguration.defaultDataDir
    var foreground = false

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--data-dir" where !rest.isEmpty: dataDir = rest.popFirst()!
            case "--foreground": foreground = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                _ = ProcessIO.writeAll(STDERR_FILENO, Array("cni-dns: unknown argument \(argument)\n\(usage)\n".utf8))
                exit(2)
            }
        }
    }
}

func fail(_ message: String) -> Never {
    _ = ProcessIO.writeAll(STDERR_FILENO, Array("cni-dns: \(message)\n".utf8))
    exit(1)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
signal(SIGPIPE, SIG_IGN)
let paths = ResponderPaths(dataDir: options.dataDir)
let configuration: StoreConfiguration
do { configuration = try .local(validating: options.dataDir) } catch { fail("\(error)") }
mkdir(options.dataDir, 0o700)

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
    logger.info("started (pid \(getpid())) for \(options.dataDir)")
    try daemon.reload()
    daemon.run()
} catch {
    logger.error("\(error)")
    unlink(paths.socket)
    fail("\(error)")
}
unlink(paths.socket)
