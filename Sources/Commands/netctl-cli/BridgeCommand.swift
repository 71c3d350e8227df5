import ArgumentParser
import Labs
import Netlink

/// `netctl bridge`: Linux bridges.
struct BridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Create and remove Linux bridges.",
        discussion: """
            Example:
              netctl bridge add labbr0 --addr 10.213.2.1/24
              netctl bridge del labbr0
            """,
        subcommands: [Add.self, Del.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a bridge, addressed and up.",
            discussion: """
                Attach links to it with `ip link set LINK master NAME`, or declare both in a lab (netctl lab --help).

                Example:
                  netctl bridge add labbr0 --addr 10.213.2.1/24
                """)

        @Argument(help: "The bridge's name.") var name: String
        @Option(help: "An address for the bridge, as CIDR (repeatable).") var addr: [String] = []
        @Option(help: "The namespace to create it in (the host's if left out).") var ns: String?

        func validate() throws { _ = try linkEnd(name, namespace: ns, addresses: addr) }

        func run() throws {
            let bridge = try linkEnd(name, namespace: ns, addresses: addr)
            do {
                try LinkBuilder().createBridge(bridge, alias: nil)
            } catch NetlinkError.exists(let what) {
                throw LabCommandError("\(what): the name is taken; pick another or `netctl bridge del \(name)` first")
            }
            LabOutput.line("created bridge \(bridge.name) (\(Topology.shortPlace(bridge.namespace)))")
        }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a bridge (its ports stay, detached).",
            discussion: "Example:\n  netctl bridge del labbr0")

        @Argument(help: "The bridge's name.") var name: String
        @Option(help: "Its namespace (the host's if left out).") var ns: String?

        func validate() throws { _ = try linkEnd(name, namespace: ns) }

        func run() throws {
            try deleteLink(linkEnd(name, namespace: ns), kind: "bridge")
        }
    }
}
