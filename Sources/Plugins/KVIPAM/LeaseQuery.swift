import Addressing
import CNI
import IPAM
import Identity
import JSON
import Stores

/// `kv-ipam leases [--data-dir DIR] [--network NAME]`: the leases in a store as JSON, for operators
/// and tests: an array with one object per lease, holding its `network`, `containerID`, `ifname` and
/// `ips`. A store never written holds none, and the query creates nothing.
struct LeaseQuery {
    static let usage = """
        usage: kv-ipam leases [--data-dir DIR] [--network NAME]
          prints the leases in the store under DIR (default \(StoreConfiguration.defaultDataDir)), of every
          network or of NAME, as a JSON array of {"network", "containerID", "ifname", "ips"}

        """

    let store: StoreConfiguration
    let network: NetworkName?

    /// Reads the query from the words after `leases`.
    init(options: ArraySlice<String>) throws {
        var dataDir = StoreConfiguration.defaultDataDir
        var network: NetworkName?
        var rest = options
        while let option = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError("\(option) needs a value") }
            switch option {
            case "--data-dir":
                dataDir = value
            case "--network":
                guard let name = NetworkName(value) else { throw UsageError(NetworkName.refusal(value)) }
                network = name
            default:
                throw UsageError("unknown option \(option)")
            }
        }
        do {
            store = try .local(validating: dataDir)
        } catch {
            throw UsageError("\(error)")
        }
        self.network = network
    }

    /// The leases found, as printed.
    func run() throws -> [UInt8] {
        var leases: [LeaseRecord] = []
        if let store = try openExistingStore(store) {
            let records = LeaseRecords(store: store)
            leases = try network.map(records.leases(on:)) ?? records.all()
        }
        return try JSONCodec.encode(leases.map(Entry.init)) + Array("\n".utf8)
    }

    /// Answers a command line: `leases` and its options, or a usage error (exit status 2).
    static func answer(_ arguments: [String]) -> PluginRunner.Output {
        guard arguments.first == "leases" else {
            return PluginRunner.Output(stderr: Array(usage.utf8), exitCode: 2)
        }
        do {
            return PluginRunner.Output(stdout: try LeaseQuery(options: arguments.dropFirst()).run())
        } catch let error as UsageError {
            return PluginRunner.Output(stderr: Array("kv-ipam: \(error.problem)\n\(usage)".utf8), exitCode: 2)
        } catch {
            return PluginRunner.Output(stderr: Array("kv-ipam: \(error)\n".utf8), exitCode: 1)
        }
    }

    struct UsageError: Error {
        let problem: String

        init(_ problem: String) {
            self.problem = problem
        }
    }

    /// One lease as the query prints it.
    private struct Entry: Encodable {
        let network: NetworkName
        let containerID: ContainerID
        let ifname: InterfaceName
        let ips: [IPAddress]

        init(_ record: LeaseRecord) {
            network = record.network
            containerID = record.attachment.containerID
            ifname = record.attachment.interface
            ips = record.addresses
        }
    }
}
