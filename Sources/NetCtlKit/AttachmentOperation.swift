import CNI
import CNIRuntime
import Glibc
import Identity

/// ADD, DEL and CHECK of one attachment, whichever parser read the command line (see `FastCommandLine`).
public enum AttachmentOperation: String, Sendable {
    case add, del, check

    /// Runs the operation and prints what it did; `json` prints ADD's result as the CNI result.
    public func run(_ attachment: AttachmentArguments, _ paths: RunnerPaths, json: Bool) throws {
        let runtime = try attachment.runtime()
        let runner = paths.runner
        switch self {
        case .add:
            let list = try runner.negotiate(try paths.list(named: attachment.network))
            guard access(runtime.netns!, F_OK) == 0 else {
                throw CommandFailure("the namespace \(runtime.netns!) does not exist",
                                     hint: "create it first: `ip netns add \(attachment.netns)` (or `netctl netns add`)")
            }
            let added = try runner.add(list, runtime)
            if json {
                Output.json(added.document)
            } else {
                print("added \(runtime.containerID) \(runtime.interface) to \(list.name) (cniVersion \(list.cniVersion.rawValue))")
                ResultTable.print(added.result)
            }
        case .del:
            let list = try Self.listForCachedAttachment(paths, network: attachment.network, runtime: runtime)
            try runner.del(list, runtime)
            print("deleted \(runtime.containerID) \(runtime.interface) from \(list.name)")
        case .check:
            let list = try Self.listForCachedAttachment(paths, network: attachment.network, runtime: runtime)
            try runner.check(list, runtime)
            print(list.disableCheck ? "\(list.name): disableCheck is set, nothing checked"
                : "\(runtime.containerID) \(runtime.interface) on \(list.name): ok")
        }
    }

    /// The network's configuration for DEL and CHECK: the file's, or when the network has no file any
    /// more, the one cached at ADD time.
    static func listForCachedAttachment(_ paths: RunnerPaths, network: String, runtime: RuntimeConfig) throws -> NetworkConfigList {
        do {
            return try paths.configDirectory.list(named: network)
        } catch {
            if let name = NetworkName(network),
               let cached = try paths.runner.cache.entry(network: name, attachment: runtime.attachment), !cached.config.isEmpty {
                Output.warning("\(error); using the configuration cached at ADD time")
                return try NetworkConfigList(parsing: cached.config)
            }
            throw CommandFailure("\(error)", hint: "`netctl network ls --conf-dir \(paths.confDir)` lists the networks there")
        }
    }
}
