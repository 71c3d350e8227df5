import ArgumentParser
import Labs
import Netlink

/// `netctl netns`: named network namespaces, as `ip netns` keeps them.
struct NetNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netns",
        abstract: "Create, list, remove and enter named network namespaces (as `ip netns` does).",
        discussion: """
            Namespaces are bind-mounted under /run/netns, so `ip netns` and every other tool sees them.

            Example:
              netctl netns add lab-a
              netctl netns exec lab-a -- ip addr
            """,
        subcommands: [Add.self, Del.self, Ls.self, Exec.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a network namespace, with its loopback up.",
            discussion: "Example:\n  netctl netns add lab-a")

        @Argument(help: "The namespace's name (a file name under /run/netns).") var name: String

        func validate() throws { _ = try namespaceName(name) }

        func run() throws {
            let name = try namespaceName(name)
            do {
                _ = try NetworkNamespace.create(name: name.rawValue)
            } catch NetlinkError.exists {
                throw LabCommandError("network namespace \(name) exists already; `netctl netns del \(name)` removes it")
            }
            let links = LinkBuilder()
            try links.bringUpLoopback(name)
            LabOutput.line("created network namespace \(name)")
        }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a network namespace (its links go with it).",
            discussion: "Example:\n  netctl netns del lab-a")

        @Argument(help: "The namespace's name.") var name: String

        func validate() throws { _ = try namespaceName(name) }

        func run() throws {
            guard try NetworkNamespace.delete(name: name) else {
                throw LabCommandError("no network namespace \(name); `netctl netns ls` lists them")
            }
            LabOutput.line("removed network namespace \(name)")
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List named network namespaces, with the lab that made each.",
            discussion: "Example:\n  netctl netns ls --json")

        @Flag(help: "Print JSON.") var json = false

        struct Entry: Encodable {
            let name: String
            let lab: String?
            /// Links other than loopback; nil when the namespace cannot be opened (a stale entry).
            let links: Int?
        }

        func run() throws {
            let owners = try LabStateStore().all().reduce(into: [String: String]()) { owners, state in
                for object in state.objects where object.kind == .namespace {
                    if let name = object.name { owners[name] = state.lab.rawValue }
                }
            }
            let entries = try NetworkNamespace.names().map { name in
                let links = try? NetlinkSocket(in: NetworkNamespace.open(named: name)).links().filter { $0.name != "lo" }.count
                return Entry(name: name, lab: owners[name], links: links)
            }
            try LabOutput.list(entries, json: json, none: "no network namespaces; `netctl netns add NAME` creates one",
                               header: ["NAME", "LAB", "LINKS"]) {
                [$0.name, $0.lab ?? "-", $0.links.map(String.init) ?? "unreadable"]
            }
        }
    }

    struct Exec: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a command inside a network namespace (as `ip netns exec` does).",
            discussion: """
                Files in /etc/netns/NAME/ are seen in place of their namesakes in /etc (resolv.conf, hosts), and \
                /sys shows the namespace's links. The command's exit status is netctl's.

                Example:
                  netctl netns exec lab-a -- ping -c 3 10.213.1.2
                """)

        @Argument(help: "The namespace's name.") var name: String
        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after `--`.")
        var command: [String] = []

        private var program: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

        func validate() throws {
            _ = try namespaceName(name)
            guard !program.isEmpty else { throw ValidationError("no command given: netctl netns exec \(name) -- CMD ...") }
        }

        func run() throws {
            guard try NetworkNamespace.exists(named: name) else {
                throw LabCommandError("no network namespace \(name); `netctl netns ls` lists them")
            }
            try NetworkNamespace.execute(inNamed: name, command: program)
        }
    }
}

/// A failure of a lab command, said as what to do next.
struct LabCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `text` as a namespace name, or a usage error saying why not.
func namespaceName(_ text: String) throws -> NamespaceName {
    guard let name = NamespaceName(text) else { throw ValidationError(NamespaceName.refusal(text)) }
    return name
}
