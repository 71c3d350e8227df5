import Foundation
import Glibc
import KV
import KVEtcd

/// A real etcd for one test: started on loopback with free ports and a temporary data directory,
/// stopped and removed afterwards.
final class EtcdServer: @unchecked Sendable {
    static let binary = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether the etcd suites can run; says why not, once, when they cannot.
    static let isAvailable: Bool = {
        if binary == nil {
            FileHandle.standardError.write(Data("KVTests: no etcd binary (install etcd-server); the etcd backend is skipped\n".utf8))
        }
        return binary != nil
    }()

    let directory: String
    /// The member's name, unique, so that the server that answers can be told to be this one.
    private let name = "kvtests-" + UUID().uuidString.prefix(8)
    private(set) var clientPort: UInt16 = 0
    private var arguments: [String] = []
    private var process = Process()

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/kvtests-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        // A free port can be taken by a server of another test before this one binds it; etcd then
        // exits, and new ports are picked.
        for attempt in 1...5 {
            clientPort = try Self.freePort()
            let peerPort = try Self.freePort()
            let client = "http://127.0.0.1:\(clientPort)"
            let peer = "http://127.0.0.1:\(peerPort)"
            arguments = [
                "--name", name, "--data-dir", directory + "/data",
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "\(name)=\(peer)", "--unsafe-no-fsync",
                // The protocol suites' optimistic updates over 200 keys compare each; etcd allows 128 by default.
                "--max-txn-ops", "1024", "--logger", "zap", "--log-level", "error",
            ]
            do {
                try start()
                return
            } catch where attempt < 5 && !process.isRunning {
                try? FileManager.default.removeItem(atPath: directory + "/data")
            }
        }
    }

    /// The server's process id, to stop or kill it.
    var pid: Int32 { process.processIdentifier }

    /// Starts etcd on the data directory and waits until it answers.
    private func start() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let store = try self.store(timeout: .milliseconds(200))
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while true {
            do {
                _ = try store.revision()
                // Another etcd (another test's, another program's) may have bound the port between
                // picking it and this one binding it: this one then exits, and that one answers.
                guard try Self.post(endpoint + "/v3/cluster/member/list", "{}").contains("\"name\":\"\(name)\"") else {
                    halt()
                    throw KVError.unavailable("another etcd answers on port \(clientPort)")
                }
                return
            } catch {
                guard ContinuousClock.now < deadline, process.isRunning else {
                    halt()
                    throw error
                }
                usleep(20_000)
            }
        }
    }

    deinit { stop() }

    var endpoint: String { "http://127.0.0.1:\(clientPort)" }

    func store(timeout: Duration = .seconds(5)) throws -> EtcdStore {
        try EtcdStore(EtcdClientConfiguration(endpoints: [EtcdEndpoint(endpoint)], timeout: timeout))
    }

    func stop() {
        halt()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Kills etcd and starts it again on the same data and ports.
    func restart() throws {
        halt()
        try start()
    }

    /// Adds user root and turns authentication on.
    func enableAuthentication(rootPassword: String) throws {
        for (path, body) in [("/v3/auth/user/add", #"{"name":"root","password":"\#(rootPassword)"}"#),
                             ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#), ("/v3/auth/enable", "{}")] {
            try Self.post(endpoint + path, body)
        }
    }

    /// Compacts etcd's history before `etcdRevision` (etcd's numbering: the protocol's revision
    /// plus one), as an operator or `--auto-compaction` would.
    func compact(etcdRevision: Int64) throws {
        try Self.post(endpoint + "/v3/kv/compaction", #"{"revision":"\#(etcdRevision)","physical":true}"#)
    }

    private func halt() {
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// One administrative request, through curl: the tests must not trust the client they test.
    /// Returns the answer's body.
    @discardableResult
    private static func post(_ url: String, _ body: String) throws -> String {
        let curl = Process()
        let output = Pipe()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "-X", "POST", "-d", body, url]
        curl.standardOutput = output
        try curl.run()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0 else { throw KVError.unavailable("POST \(url) failed") }
        return String(decoding: answer, as: UTF8.self)
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw KVError.unavailable("no free port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}
