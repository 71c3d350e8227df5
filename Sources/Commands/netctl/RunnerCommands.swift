import ArgumentParser
import CNI
import CNIRuntime
import Glibc
import Identity
import JSON

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach a namespace to a network, running the network's plugins as a runtime does.",
        discussion: """
            Runs the plugins of the configuration list in order, chaining each result into the next as \
            prevResult, and caches the final result in CACHE-DIR/results/<network>-<id>-<ifname> in libcni's \
            format (podman and cnitool read it). A failed ADD is rolled back by a DEL of the plugins that ran.

            Example:
              ip netns add demo
              netctl add mynet demo --cap portMappings='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]'
            """)

    @OptionGroup var attachment: AttachmentOptions
    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        try AttachmentOperation.add.run(attachment.arguments, options.paths, json: output.json)
    }
}

struct Del: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detach a namespace from a network, running the plugins in reverse order.",
        discussion: """
            Each plugin gets the cached ADD result as prevResult; the namespace may already be gone. When the \
            network's file has been removed or changed, the configuration cached at ADD time is used.

            Example:
              netctl del mynet demo
            """)

    @OptionGroup var attachment: AttachmentOptions
    @OptionGroup var options: RunnerOptions

    func run() throws {
        try AttachmentOperation.del.run(attachment.arguments, options.paths, json: false)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask every plugin whether an attachment is still as ADD left it.",
        discussion: """
            Needs cniVersion 0.4.0 or later and the cached result of the ADD. Exit status 1 when a plugin \
            finds something wrong; the message names it.

            Example:
              netctl check mynet demo
            """)

    @OptionGroup var attachment: AttachmentOptions
    @OptionGroup var options: RunnerOptions

    func run() throws {
        try AttachmentOperation.check.run(attachment.arguments, options.paths, json: false)
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove what a network holds for attachments that are gone.",
        discussion: """
            The valid attachments are the cached ones whose namespace still exists: every other cached \
            attachment of the network is deleted (DEL), then, from cniVersion 1.1.0 on, every plugin gets GC \
            with cni.dev/valid-attachments and removes what it holds for anything else.

            Example:
              netctl gc mynet
            """)

    @Argument(help: "The network's name.")
    var network: String

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let list = try options.list(named: network)
        let cached = try options.runner.cache.entries(of: list.name)
        let valid = Set(cached.filter { entry in entry.runtime.netns.map { access($0, F_OK) == 0 } ?? false }.map(\.runtime.attachment))
        let outcome = try options.runner.gc(list, valid: valid)
        if output.json {
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
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask every plugin of a network whether it is ready for ADD.",
        discussion: """
            STATUS exists from cniVersion 1.1.0 on; older lists have nothing to ask and report ready.

            Example:
              netctl status mynet
            """)

    @Argument(help: "The network's name.")
    var network: String

    @OptionGroup var options: RunnerOptions

    func run() throws {
        let list = try options.list(named: network)
        do {
            try options.runner.status(list)
        } catch let error as CNIError {
            throw CommandFailure("\(list.name) is not ready: \(error)", hint: "the plugin's message above says what it lacks")
        }
        print(list.cniVersion.allows(.status) ? "\(list.name): ready"
            : "\(list.name): ready (cniVersion \(list.cniVersion.rawValue) has no STATUS; nothing was asked)")
    }
}

/// ADD, DEL and CHECK of one attachment, whichever parser read the command line (see `FastCommandLine`).
enum AttachmentOperation: String {
    case add, del, check

    func run(_ attachment: AttachmentArguments, _ paths: RunnerPaths, json: Bool) throws {
        let runtime = try attachment.runtime()
        let runner = paths.runner
        switch self {
        case .add:
            let list = try runner.negotiate(try paths.list(named: attachment.network))
            guard access(runtime.netns!, F_OK) == 0 else {
                throw CommandFailure("the namespace \(runtime.netns!) does not exist",
                                     hint: "create it first: `ip netns add \(attachment.netns)` (or `netctl netns add`)")
            }
            let result = try runner.add(list, runtime)
            if json {
                Output.json(try result.encoded(as: list.cniVersion))
            } else {
                print("added \(runtime.containerID) \(runtime.interface) to \(list.name) (cniVersion \(list.cniVersion.rawValue))")
                ResultTable.print(result)
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

/// A result as people read it.
enum ResultTable {
    static func print(_ result: CNIResult) {
        if !result.interfaces.isEmpty {
            Output.table(["INTERFACE", "MAC", "SANDBOX"], result.interfaces.map { [$0.name, $0.mac ?? "", $0.sandbox ?? ""] })
        }
        if !result.ips.isEmpty {
            Output.table(["ADDRESS", "GATEWAY", "INTERFACE"], result.ips.map { ip in
                [ip.address.description, ip.gateway?.description ?? "",
                 ip.interface.flatMap { $0 < result.interfaces.count ? result.interfaces[$0].name : nil } ?? ""]
            })
        }
        if !result.routes.isEmpty {
            Output.table(["ROUTE", "VIA"], result.routes.map { [$0.dst.description, $0.gw?.description ?? ""] })
        }
        if let dns = result.dns, let servers = dns.nameservers, !servers.isEmpty {
            Swift.print("dns: \(servers.joined(separator: " "))" + (dns.search.map { " search \($0.joined(separator: " "))" } ?? ""))
        }
    }
}
