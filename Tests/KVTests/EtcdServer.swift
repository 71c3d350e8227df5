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
    let clientPort: UInt16
    private let process = Process()

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/kvtests-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        clientPort = try Self.freePort()
        let peerPort = try Self.freePort()
        let client = "http://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments = [
            "--name", "test", "--data-dir", directory + "/data",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "test=\(peer)", "--unsafe-no-fsync",
            // The protocol suites' optimistic updates over 200 keys compare each; etcd allows 128 by default.
            "--max-txn-ops", "1024", "--logger", "zap", "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let store = try self.store(timeout: .milliseconds(200))
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while true {
            do {
                _ = try store.revision()
                return
            } catch {
                guard ContinuousClock.now < deadline, process.isRunning else {
                    stop()
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
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
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
