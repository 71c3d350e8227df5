import CNI
import CNIRuntime
import Glibc
import Identity
import JSON

/// GC and STATUS of one network, whichever parser read the command line (see `FastCommandLine`).
public enum NetworkOperation: String, Sendable {
    case gc, status

    /// Runs the operation and prints what it did; `json` prints GC's outcome as JSON.
    public func run(network: String, _ paths: RunnerPaths, json: Bool) throws {
        let list = try paths.list(named: network)
        let runner = paths.runner
        switch self {
        case .gc:
            let cached = try runner.cache.entries(of: list.name)
            let valid = Set(cached.filter { entry in entry.runtime.netns.map { access($0, F_OK) == 0 } ?? false }.map(\.runtime.attachment))
            let outcome = try runner.gc(list, valid: valid)
            if json {
                Output.json(.object([
                    "network": .string(list.name.rawValue),
                    "valid": .array(valid.map { AttachmentID(network: list.name, attachment: $0).text }.sorted().map { .string($0) }),
                    "deleted": .array(outcome.deleted.map { .string(AttachmentID(network: list.name, attachment: $0).text) }),
                    "errors": .array(outcome.errors.map { .string($0.description) }),
                ]))
            } else {
                print("\(list.name): \(valid.count) valid attachment(s), \(outcome.deleted.count) stale one(s) deleted")
                for attachment in outcome.deleted { print("  deleted \(attachment.containerID) \(attachment.interface)") }
            }
            if !outcome.errors.isEmpty {
                throw CommandFailure("gc of \(list.name) went on after errors:\n  " + outcome.errors.map(\.description).joined(separator: "\n  "),
                                     hint: "run `netctl gc \(list.name)` again once the plugins named above can run")
            }
        case .status:
            do {
                try runner.status(list)
            } catch let error as CNIError {
                throw CommandFailure("\(list.name) is not ready: \(error)", hint: "the plugin's message above says what it lacks")
            }
            print(list.cniVersion.allows(.status) ? "\(list.name): ready"
                : "\(list.name): ready (cniVersion \(list.cniVersion.rawValue) has no STATUS; nothing was asked)")
        }
    }
}
