import ArgumentParser
import Labs
#if canImport(Glibc)
import Glibc
#endif

/// `netctl lab`: declarative topologies of namespaces, links, addresses, routes, sysctls and NAT.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Bring namespace labs up and down from a topology file (YAML or JSON).",
        discussion: """
            A lab file declares namespaces, bridges, veth pairs, VXLAN links, addresses, routes, sysctls and \
            masquerading; `up` makes them exist in that order, `down` removes exactly what `up` made. Shipped \
            labs are in conf/labs/; the format is in docs/labs.md.

            Example:
              netctl lab up conf/labs/veth-pair.yaml
              netctl netns exec lab-a -- ping -c 3 10.213.1.2
              netctl lab down conf/labs/veth-pair.yaml
            """,
        subcommands: [Up.self, Down.self, Ls.self])

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make everything a lab file declares exist; a second `up` changes nothing.",
            discussion: """
                Each step prints as it is done. If one fails, everything this run made is removed again and \
                netctl exits 1. Objects that exist but are not the lab's (a namespace or link of the same name)
                stop the run rather than being taken over. Each object is recorded before it is made, so after \
                an `up` that was killed, `down` removes what it made and `up` finishes it.

                Example:
                  netctl lab up --dry-run conf/labs/bridge-nat.yaml
                  netctl lab up conf/labs/bridge-nat.yaml
                """)

        @Argument(help: "The topology file (.yaml, .yml or .json).") var file: String
        @Flag(help: "Check the file and print the steps, changing nothing.") var dryRun = false

        func run() throws {
            let topology = try TopologyFile.load(path: file)
            let runner = LabRunner()
            if dryRun {
                let steps = runner.plan(topology)
                for (offset, step) in steps.enumerated() { LabOutput.line("[\(offset + 1)/\(steps.count)] \(step)") }
                LabOutput.line("\(file) is a valid lab; `netctl lab up \(file)` applies it")
                return
            }
            LabOutput.line("lab \(topology.name): \(file)")
            var present = 0
            try runner.up(topology, file: file) { progress in
                if progress.outcome == .present { present += 1 }
                show(progress)
            }
            let total = runner.plan(topology).count
            let summary = present == total ? "nothing to do, every step was already there" : "\(total - present) of \(total) steps done"
            LabOutput.line("lab \(topology.name) is up (\(summary)); `netctl lab down \(file)` removes it")
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove what `lab up` made, and nothing else.",
            discussion: """
                Takes the lab's file or its name (as `netctl lab ls` shows it). A lab that is not up is not an \
                error. Namespaces and links that no longer carry the lab's tag are left alone.

                Example:
                  netctl lab down conf/labs/bridge-nat.yaml
                """)

        @Argument(help: "The topology file, or the lab's name.") var lab: String

        func run() throws {
            let name: LabName
            if access(lab, F_OK) == 0 {
                name = try TopologyFile.load(path: lab).name
            } else if let given = LabName(lab) {
                name = given
            } else {
                throw LabCommandError("\(lab): no such file, and not a lab name; `netctl lab ls` lists the labs that are up")
            }
            if try LabRunner().down(name, progress: show) {
                LabOutput.line("lab \(name) is down")
            } else {
                LabOutput.line("lab \(name) is not up; nothing to remove")
            }
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the labs that are up.",
            discussion: "Example:\n  netctl lab ls --json")

        @Flag(help: "Print JSON.") var json = false

        struct Entry: Encodable {
            let name: String
            let file: String
            let namespaces: [String]
            let links: Int
            let objects: [LabObject]
        }

        func run() throws {
            let entries = try LabStateStore().all().map { state in
                Entry(name: state.lab.rawValue, file: state.file,
                      namespaces: state.objects.filter { $0.kind == .namespace }.compactMap(\.name),
                      links: state.count(.link), objects: state.objects)
            }
            try LabOutput.list(entries, json: json, none: "no labs are up; `netctl lab up FILE` brings one up (conf/labs/ has examples)",
                               header: ["NAME", "NAMESPACES", "LINKS", "FILE"]) {
                [$0.name, $0.namespaces.joined(separator: ","), String($0.links), $0.file]
            }
        }
    }
}

/// One progress line: `[3/9] veth veth-a (lab-a) <-> veth-b (lab-b): done`.
private func show(_ progress: LabProgress) {
    LabOutput.line("[\(progress.step)/\(progress.total)] \(progress.what): \(progress.outcome.rawValue)")
}
