import Addressing
import ArgumentParser
import CNIRuntime
import DNSWire
import JSON
import NetworkInspection

struct Network: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and inspect the networks configured on this host.",
        subcommands: [
            NetworkList.self,
            NetworkInspect.self,
        ])
}

struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "Every network configuration: its main plugin, subnets and number of attachments.",
        discussion: """
            Attachments are counted from the result cache (what ADD left in CACHE-DIR/results). Files that \
            cannot be read are listed on stderr, and make the exit status 1.

            Example:
              netctl network ls --json
            """)

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let contents = try options.configDirectory.load()
        let cached = (try? options.runner.cache.entries()) ?? []
        let rows = contents.lists.map { list -> (NetworkDescription, Int) in
            (NetworkDescription(list), cached.filter { $0.network == list.name }.count)
        }
        if output.json {
            Output.json(.array(rows.map { network, count in
                .object([
                    "name": .string(network.name), "driver": .string(network.driver), "plugins": .array(network.chain.map { .string($0) }),
                    "subnets": .array(network.pools.map { .string($0.subnet) }), "attachments": .number("\(count)"),
                    "cniVersion": .string(network.list.cniVersion.rawValue), "file": .string(network.list.path ?? ""),
                ])
            }))
        } else {
            Output.table(["NAME", "DRIVER", "SUBNETS", "ATTACHMENTS", "FILE"], rows.map { network, count in
                [network.name, network.driver, network.pools.map(\.subnet).joined(separator: ","), "\(count)", network.list.path ?? ""]
            })
        }
        if !contents.failures.isEmpty {
            throw CommandFailure("some configurations could not be read:\n  " + contents.failures.map { "\($0.error)" }.joined(separator: "\n  "),
                                 hint: "fix the JSON of the files named above, or move them out of \(options.confDir)")
        }
    }
}

struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a network as docker network inspect does, with every attachment.",
        discussion: """
            Each attachment is gathered from the result cache, the IPAM leases (kv-ipam's store or \
            host-local's files), the DNS records, the firewall's published ports and the kernel's links and \
            addresses. What does not agree is listed under the attachment as a problem (a lease without a \
            link, a link without a lease, a namespace that is gone); the exit status is still 0.

            Example:
              netctl network inspect swift-published --json
            """)

    @Argument(help: "The network's name.")
    var network: String

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let description = NetworkDescription(try options.list(named: network))
        let report = NetworkInspector(cache: options.runner.cache).report(description, plugins: .init(description))
        if output.json {
            Output.json(try JSONCodec.encode(report))
            return
        }
        Output.fields([
            ("Name", report.name), ("File", report.file ?? ""), ("CNI version", report.cniVersion),
            ("Driver", report.driver), ("Plugins", report.plugins.joined(separator: " -> ")), ("Bridge", report.bridge ?? ""),
            ("IPAM", report.ipam ?? ""),
        ])
        print("Subnets:")
        Output.table(["  SUBNET", "GATEWAY"], report.subnets.map { ["  " + $0.subnet, $0.gateway ?? ""] })
        if !report.options.isEmpty {
            print("Options:")
            Output.fields(report.options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, indent: "  ")
        }
        print("Attachments: \(report.attachments.count)")
        if !report.attachments.isEmpty {
            Output.table(["  CONTAINER", "IFNAME", "IPS", "MAC", "DNS NAMES", "PORTS", "HOST VETH"], report.attachments.map {
                ["  " + $0.containerID, $0.ifname, $0.ips.joined(separator: ","), $0.mac ?? "", $0.dnsNames.joined(separator: ","),
                 $0.publishedPorts.joined(separator: ","), $0.hostVeth ?? ""]
            })
        }
        for attachment in report.attachments {
            for problem in attachment.problems { print("problem: \(attachment.containerID) \(attachment.ifname): \(problem)") }
        }
        for warning in report.warnings { Output.warning(warning) }
    }
}

extension NetworkInspector.Plugins {
    /// The plugin types that publish ports through the firewall, with the role they publish under.
    static let portPublishers = ["portmap": "portmap"]

    /// What netctl knows of the plugins in the network's chain: which publish ports, and that a bridge gives
    /// every attachment a host veth.
    init(_ network: NetworkDescription) {
        self.init(portRoles: network.chain.compactMap { Self.portPublishers[$0] }, hostLinks: network.driver == "bridge")!
    }
}

struct Leases: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The addresses each attachment holds, from the network's IPAM.",
        discussion: """
            kv-ipam's leases are read from its store, host-local's from its lease files. Without NETWORK, \
            every configured network's.

            Example:
              netctl leases swift-published
            """)

    @Argument(help: "Only this network.")
    var network: String?

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let lists = try network.map { [try options.list(named: $0)] } ?? options.configDirectory.load().lists
        var leases: [Lease] = []
        for list in lists {
            do {
                leases += try LeaseReader.leases(of: NetworkDescription(list))
            } catch {
                throw CommandFailure("cannot read the leases of \(list.name): \(error)", hint: "`netctl doctor` checks the stores")
            }
        }
        if output.json {
            Output.json(try JSONCodec.encode(leases))
        } else {
            Output.table(["NETWORK", "CONTAINER", "IFNAME", "ADDRESSES", "SOURCE"], leases.map {
                [$0.network, $0.containerID, $0.ifname, $0.addresses.joined(separator: ","), $0.source]
            })
        }
    }
}

struct DNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Ask a network's DNS responder.",
        subcommands: [DNSQuery.self])
}

struct DNSQuery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Send a DNS query to the responder on a network's gateway, as a container would.",
        discussion: """
            Exit status 1 when no answer came, or the answer is not NOERROR with records.

            Example:
              netctl dns query web --network swift-dns
              netctl dns query web.dns.podman --network swift-dns --type AAAA
            """)

    @Argument(help: "The name to resolve.")
    var name: String

    @Option(help: "The network whose responder to ask.")
    var network: String

    @Option(help: "A, AAAA or PTR.")
    var type: String = "A"

    @Option(help: ArgumentHelp("Ask this address instead of the network's gateway.", valueName: "address"))
    var server: String?

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let recordType: DNSType
        switch type.uppercased() {
        case "A": recordType = .a
        case "AAAA": recordType = .aaaa
        case "PTR": recordType = .ptr
        default: throw ValidationError("--type must be A, AAAA or PTR")
        }
        let description = NetworkDescription(try options.list(named: network))
        let address: IPAddress
        if let server {
            guard let parsed = IPAddress(server) else { throw ValidationError("--server \"\(server)\" is not an IP address") }
            address = parsed
        } else {
            guard let gateway = description.gateway(.ipv4) ?? description.gateway(.ipv6) else {
                throw CommandFailure("network \(network) names no gateway, where its responder would listen", hint: "pass --server ADDRESS")
            }
            address = gateway
        }
        if !description.servesNames, server == nil {
            Output.warning("network \(network) has no dnsname plugin: nothing registers names on it")
        }
        let answer: DNSProbe.Answer
        do {
            answer = try DNSProbe(server: SocketAddress(address: address, port: 53)).query(name, type: recordType)
        } catch {
            throw CommandFailure("\(error)", hint: "is the responder running? `netctl doctor` checks it")
        }
        if output.json {
            Output.json(try JSONCodec.encode(answer))
        } else {
            let rcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]
            print(";; \(answer.name) \(answer.type) from \(answer.server): \(answer.rcode < rcodes.count ? rcodes[answer.rcode] : "RCODE\(answer.rcode)")"
                + (answer.authoritative ? ", authoritative" : "") + ", \(answer.milliseconds) ms")
            for record in answer.records { print(record) }
        }
        if answer.rcode != 0 || answer.records.isEmpty {
            throw CommandFailure("no \(answer.type) record for \(name) on \(network)", hint: "`netctl network inspect \(network)` lists the names registered there")
        }
    }
}

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the host for what container networks need, and say what to fix.",
        discussion: """
            Checks IPv4/IPv6 forwarding, br_netfilter against an iptables FORWARD policy that drops, that the \
            configurations parse, that every store they name is readable, and that the DNS responder of \
            networks with dnsname answers. Exit status 1 when something is a problem (warnings do not count).

            Example:
              netctl doctor
            """)

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        let contents = try options.configDirectory.load()
        let checks = HostDoctor(networks: contents.lists.map(NetworkDescription.init),
                                unreadable: contents.failures.map { "\($0.error)" }).run()
        if output.json {
            Output.json(try JSONCodec.encode(checks))
        } else {
            Output.table(["CHECK", "RESULT", "FOUND"], checks.map { [$0.name, $0.verdict.rawValue, $0.found] })
            for check in checks where check.fix != nil && check.verdict != .ok { print("fix (\(check.name)): \(check.fix!)") }
        }
        let problems = checks.filter { $0.verdict == .problem }.count
        if problems > 0 { throw CommandFailure("\(problems) problem(s) found", hint: "the fix lines above say what to change") }
    }
}
