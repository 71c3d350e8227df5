import CNI
import DNSRecords
import Glibc
import JSON
import PluginKit
import POSIX

/// The plugin's side of the control protocol with `cni-dns`: one request, one reply per connection.
struct ResponderClient {
    /// The responder's executable, looked up in CNI_PATH.
    static let executable = "cni-dns"
    /// How long a spawned responder may take to accept connections.
    static let startTimeout = Duration.seconds(3)
    /// How long a spawned responder may take to hold its lock.
    static let respawnAfter = Duration.milliseconds(50)
    /// How long a sync may take: loading the store and binding listeners.
    static let replyTimeout = Duration.seconds(5)

    let paths: ResponderPaths
    let dataDir: String
    let searchPath: [String]

    init(dataDir: String, searchPath: [String]) {
        paths = ResponderPaths(dataDir: dataDir)
        self.dataDir = dataDir
        self.searchPath = searchPath
    }

    /// Names the store of `stdin` (its `store` object, or none: the host's store.json, else the
    /// local store) in the responder's configuration file, which a responder reads when it starts.
    /// A running responder that serves another store cannot answer for this one: code 7.
    func configure(storeOf stdin: [UInt8]) throws {
        var members: [String: JSONValue] = ["dataDir": .string(dataDir)]
        if case .object(let top) = try JSONCodec.document(from: stdin), let store = top["store"] { members["store"] = store }
        let bytes = JSONWriter.write(.object(members))
        let current = try? RegularFile.contents(atPath: paths.configuration, limit: 64 * 1024)
        guard current != bytes else { return }
        if current != nil, InstanceLock.isHeld(paths.lock) {
            throw CNIError(.invalidNetworkConfig, "dnsname: the responder of \(dataDir) serves another store",
                           details: "networks that share a dataDir must name the same store (\(paths.configuration) holds the running one's); give this network its own dataDir, or stop \(Self.executable) to switch")
        }
        mkdir(dataDir, 0o700)
        do {
            try RegularFile.replace(atPath: paths.configuration, with: bytes)
        } catch {
            throw CNIError(.ioFailure, "dnsname: cannot write \(paths.configuration): \(error)")
        }
    }

    /// Waits until the responder serves `revision`, starting it if none runs.
    func sync(_ revision: Int64) throws -> ResponderReply {
        if let running = try? UnixStreamClient(path: paths.socket) {
            do {
                return try exchange(.sync(revision: revision), on: running)
            } catch is ResponderGone {
                // It died after accepting (killed, crashed): a new one can take the lock once the
                // kernel has closed the dead one's files, which outlive its command line.
                try awaitLockRelease()
            }
        }
        do {
            return try exchange(.sync(revision: revision), on: try start())
        } catch is ResponderGone {
            throw CNIError(.tryAgainLater, "dnsname: \(Self.executable) closed its connection on \(paths.socket) without a reply",
                           details: "see \(paths.log)")
        }
    }

    /// Waits until a running responder serves `revision`; `nil` when none runs (nothing to update:
    /// a responder started later rebuilds from the store).
    func syncIfRunning(_ revision: Int64) throws -> ResponderReply? {
        guard let connection = try? UnixStreamClient(path: paths.socket) else { return nil }
        do { return try exchange(.sync(revision: revision), on: connection) } catch is ResponderGone { return nil }
    }

    /// What a running responder serves; `nil` when none runs.
    func statusIfRunning() throws -> ResponderReply? {
        guard let connection = try? UnixStreamClient(path: paths.socket) else { return nil }
        do { return try exchange(.status, on: connection) } catch is ResponderGone { return nil }
    }

    /// The responder's executable in CNI_PATH, or `nil`.
    func executablePath() -> String? {
        DetachedProcess.executable(named: Self.executable, in: searchPath)
    }

    /// Spawns the responder detached and connects once it listens. Concurrent starts are fine:
    /// the responder's lock leaves one running, and the others exit at once.
    private func start() throws -> UnixStreamClient {
        guard let path = executablePath() else {
            throw CNIError(.notAvailable, "dnsname: \(Self.executable) is not in CNI_PATH",
                           details: "the responder must be installed next to the plugin")
        }
        func spawn() throws { try StoreDaemon.spawn(path, dataDir: dataDir, for: "dnsname") }
        try spawn()
        var spawned = ContinuousClock.now
        let deadline = spawned + Self.startTimeout
        var lastError: Error = Errno(ENOENT)
        repeat {
            do {
                return try UnixStreamClient(path: paths.socket)
            } catch {
                lastError = error
            }
            // The one spawned found the lock held by a responder that was dying, and left: the
            // lock is free again and nobody listens, so spawn another.
            if spawned.duration(to: .now) > Self.respawnAfter, !InstanceLock.isHeld(paths.lock) {
                try spawn()
                spawned = .now
            }
            // A start takes a few milliseconds; there is nothing to wait on before the socket exists.
            Self.pause()
        } while ContinuousClock.now < deadline
        throw CNIError(.tryAgainLater, "dnsname: \(Self.executable) did not listen on \(paths.socket) within 3 s: \(lastError)",
                       details: "see \(paths.log)")
    }

    /// Waits, at most as long as a start may take, for a dead responder's lock to be free.
    private func awaitLockRelease() throws {
        let deadline = ContinuousClock.now + Self.startTimeout
        while InstanceLock.isHeld(paths.lock) {
            guard ContinuousClock.now < deadline else {
                throw CNIError(.tryAgainLater, "dnsname: \(Self.executable) closed its connection and still holds \(paths.lock)",
                               details: "see \(paths.log)")
            }
            Self.pause()
        }
    }

    private static func pause() {
        var pause = timespec(tv_sec: 0, tv_nsec: 2_000_000)
        nanosleep(&pause, nil)
    }

    private func exchange(_ request: ResponderRequest, on connection: UnixStreamClient) throws -> ResponderReply {
        let line: [UInt8]
        do {
            line = try connection.exchange(try ControlLine.encode(request), timeout: Self.replyTimeout)
        } catch let error as Errno where [ECONNRESET, EPIPE].contains(error.code) {
            throw ResponderGone()
        } catch let error as Errno {
            throw CNIError(.tryAgainLater, "dnsname: no reply from \(Self.executable) on \(paths.socket): \(error)",
                           details: "see \(paths.log)")
        }
        let reply = try ControlLine.decode(ResponderReply.self, from: line)
        if let message = reply.error {
            throw CNIError(.tryAgainLater, "dnsname: \(Self.executable) failed: \(message)", details: "see \(paths.log)")
        }
        return reply
    }
}

/// The responder closed the connection without a reply: it is gone, or going.
private struct ResponderGone: Error {}
