import Addressing
import ArgumentParser
import Labs
import Netlink

/// `netctl veth`: veth pairs between namespaces.
struct VethCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "veth",
        abstract: "Create and remove veth pairs between namespaces.",
        discussion: """
            Example:
              netctl veth add veth-a veth-b --ns-a lab-a --ns-b lab-b --addr-a 10.213.1.1/24 --addr-b 10.213.1.2/24
              netctl veth del veth-a --ns lab-a
            """,
        subcommands: [Add.self, Del.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a veth pair, each end in its namespace, addressed and up.",
            discussion: """
                Each end is made directly in its namespace under its final name. If addressing fails the pair is \
                removed again.

                Example:
                  netctl veth add veth-a veth-b --ns-a lab-a --ns-b lab-b --addr-a 10.213.1.1/24 --addr-b 10.213.1.2/24
                """)

        @Argument(help: "The name of end A.") var a: String
        @Argument(help: "The name of end B.") var b: String
        @Option(help: "End A's namespace (the host's if left out).") var nsA: String?
        @Option(help: "End B's namespace (the host's if left out).") var nsB: String?
        @Option(help: "An address for end A, as CIDR (repeatable).") var addrA: [String] = []
        @Option(help: "An address for end B, as CIDR (repeatable).") var addrB: [String] = []
        @Option(help: "The MTU of both ends.") var mtu: Int?

        func validate() throws { _ = try spec() }

        func spec() throws -> VethSpec {
            VethSpec(a: try linkEnd(a, namespace: nsA, addresses: addrA, mtu: mtu),
                     b: try linkEnd(b, namespace: nsB, addresses: addrB, mtu: mtu))
        }

        func run() throws {
            let veth = try spec()
            do {
                try LinkBuilder().createVeth(veth, alias: nil)
            } catch NetlinkError.exists(let what) {
                throw LabCommandError("\(what): the name is taken; pick another or remove the link first")
            }
            LabOutput.line("created veth \(veth.a.name) (\(Topology.shortPlace(veth.a.namespace))) <-> \(veth.b.name) (\(Topology.shortPlace(veth.b.namespace)))")
        }
    }

    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a veth pair by either end's name.",
            discussion: "Example:\n  netctl veth del veth-a --ns lab-a")

        @Argument(help: "Either end's name.") var name: String
        @Option(help: "That end's namespace (the host's if left out).") var ns: String?

        func validate() throws { _ = try linkEnd(name, namespace: ns) }

        func run() throws {
            try deleteLink(linkEnd(name, namespace: ns), kind: "veth")
        }
    }
}

/// A link end from command-line text, with usage errors for what does not parse.
func linkEnd(_ name: String, namespace: String?, addresses: [String] = [], mtu: Int? = nil) throws -> LinkEnd {
    guard let interface = InterfaceName(name) else { throw ValidationError(InterfaceName.refusal(name)) }
    let parsed = try addresses.map { text in
        guard let address = InterfaceAddress(text) else {
            throw ValidationError("\"\(text)\" is not an address with a prefix length, like 10.213.1.1/24")
        }
        return address
    }
    return LinkEnd(name: interface, namespace: try namespace.map(namespaceName), addresses: parsed, mtu: mtu)
}

/// Deletes the link `end` names if it is of `kind`; refuses anything else, so a typo cannot remove `eth0`.
func deleteLink(_ end: LinkEnd, kind: String) throws {
    let links = LinkBuilder()
    guard let link = try links.existing(end) else {
        throw LabCommandError("no link \(end.name) in \(Topology.place(end.namespace)); `ip link` (`ip -n NS link` in a namespace) lists the links")
    }
    guard link.kind == kind else {
        throw LabCommandError("\(end.name) in \(Topology.place(end.namespace)) is \(link.kind.map { "a \($0)" } ?? "no virtual link"), not a \(kind); not removed")
    }
    try links.delete(end)
    LabOutput.line("removed \(kind) \(end.name) (\(Topology.shortPlace(end.namespace)))")
}
