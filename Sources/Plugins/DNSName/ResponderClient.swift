import CNI
import DNSRecords
import Glibc
import POSIX

/// The plugin's side of the control protocol with `cni-dns`: one request, one reply per connection.
struct ResponderClient {
    /// The responder's executable, looked up in CNI_PATH.
    static let executable = "cni-dns"
    /// How long a spawned responder may take to accept connections.
    static let startTimeout = Duration.seconds(3)
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

    /// Waits until the responder serves `revision`, starting it if none runs.
    func sync(_ revision: Int64) throws -> ResponderReply {
        let connection: UnixStreamClient
        if let running = try? UnixStreamClient(path: paths.socket) {
            connection = running
        } else {
            connection = try start()
        }
        return try exchange(.sync(revision: revision), on: connection)
    }

    /// Waits until a running responder serves `revision`; `nil` when none runs (nothing to update).
    func syncIfRunning(_ revision: Int64) throws -> ResponderReply? {
        guard let connection = try? UnixStreamClient(path: paths.socket) else { return nil }
        return try exchange(.sync(revision: revision), on: connection)
    }

    /// What a running responder serves; `nil` when none runs.
    func statusIfRunning() throws -> ResponderReply? {
        guard let connection = try? UnixStreamClient(path: paths.socket) else { return nil }
        return try exchange(.status, on: connection)
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
        do {
            _ = try DetachedProcess.spawn(path, arguments: ["--data-dir", dataDir])
        } catch {
            throw CNIError(.notAvailable, "dnsname: cannot start \(path): \(error)")
        }
        let deadline = ContinuousClock.now + Self.startTimeout
        var lastError: Error = Errno(ENOENT)
        repeat {
            do {
                return try UnixStreamClient(path: paths.socket)
            } catch {
                lastError = error
            }
            // A start takes a few milliseconds; there is nothing to wait on before the socket exists.
            var pause = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&pause, nil)
        } while ContinuousClock.now < deadline
        throw CNIError(.tryAgainLater, "dnsname: \(Self.executable) did not listen on \(paths.socket) within 3 s: \(lastError)",
                       details: "see \(paths.log)")
    }

    private func exchange(_ request: ResponderRequest, on connection: UnixStreamClient) throws -> ResponderReply {
        let line: [UInt8]
        do {
            line = try connection.exchange(try ControlLine.encode(request), timeout: Self.replyTimeout)
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
