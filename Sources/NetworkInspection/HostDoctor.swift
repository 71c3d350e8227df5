import CNIRuntime
import DNSRecords
import Glibc
import JSON
import KV
import Netlink
import POSIX
import Stores

/// One check of the host: what was found, and what to do when it is not right.
public struct HostCheck: Sendable, Encodable {
    public enum Verdict: String, Sendable, Encodable { case ok, warning, problem }

    public let name: String
    public let verdict: Verdict
    public let found: String
    /// What to run or change; `nil` when nothing needs doing.
    public let fix: String?
}

/// Checks the host for what container networking needs and what commonly breaks it: forwarding,
/// br_netfilter with a firewall that drops forwarded traffic, the stores, the DNS responder.
public struct HostDoctor {
    public let networks: [NetworkDescription]
    public let unreadable: [String]

    public init(networks: [NetworkDescription], unreadable: [String]) {
        self.networks = networks
        self.unreadable = unreadable
    }

    public func run() -> [HostCheck] {
        var checks = [forwarding("net/ipv4/ip_forward", "IPv4"), forwarding("net/ipv6/conf/all/forwarding", "IPv6")]
        checks.append(contentsOf: bridgeNetfilter())
        checks.append(contentsOf: configurations())
        checks.append(contentsOf: stores())
        checks.append(contentsOf: responders())
        return checks
    }

    func forwarding(_ key: String, _ family: String) -> HostCheck {
        let value = (try? Sysctl.read(key)) ?? "?"
        if value == "1" { return HostCheck(name: "\(family) forwarding", verdict: .ok, found: "\(key) = 1", fix: nil) }
        let wanted = family == "IPv4" ? networks.contains { $0.pools.contains { !$0.subnet.contains(":") } }
            : networks.contains { $0.pools.contains { $0.subnet.contains(":") } }
        return HostCheck(name: "\(family) forwarding", verdict: wanted ? .problem : .warning, found: "\(key) = \(value)",
                         fix: "sysctl -w \(key.replacingSlashes)=1 (bridge plugins with isGateway turn it on at ADD; containers reach nothing beyond the host without it)")
    }

    /// br_netfilter sends bridged frames through iptables' FORWARD chain: with a DROP policy there
    /// (Docker sets one), traffic between containers on one bridge is dropped.
    func bridgeNetfilter() -> [HostCheck] {
        let loaded = access("/sys/module/br_netfilter", F_OK) == 0
        let calls = loaded ? ((try? Sysctl.read("net/bridge/bridge-nf-call-iptables")) ?? "?") : "0"
        var checks = [HostCheck(name: "br_netfilter", verdict: .ok,
                                found: loaded ? "loaded, bridge-nf-call-iptables = \(calls)" : "not loaded", fix: nil)]
        let policy = forwardPolicy()
        switch policy {
        case "DROP"?, "REJECT"?:
            let affected = loaded && calls == "1"
            checks.append(HostCheck(name: "iptables FORWARD policy", verdict: affected ? .problem : .warning, found: "policy \(policy!)",
                                    fix: affected
                                        ? "traffic bridged between containers passes this chain (br_netfilter): accept it with `iptables -I FORWARD -i <bridge> -o <bridge> -j ACCEPT`, or `sysctl -w net.bridge.bridge-nf-call-iptables=0`"
                                        : "routed container traffic is dropped unless a rule accepts it: `iptables -I FORWARD -i <bridge> -j ACCEPT` and `-o <bridge> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`"))
        case let found?:
            checks.append(HostCheck(name: "iptables FORWARD policy", verdict: .ok, found: "policy \(found)", fix: nil))
        case nil:
            checks.append(HostCheck(name: "iptables FORWARD policy", verdict: .ok, found: "no iptables filter table", fix: nil))
        }
        return checks
    }

    /// The policy of the filter table's FORWARD chain, from `iptables-save`.
    func forwardPolicy() -> String? {
        for path in ["/usr/sbin/iptables-save", "/sbin/iptables-save"] where access(path, X_OK) == 0 {
            guard let run = try? Subprocess.run(path, environment: ProcessIO.environment(), stdin: []), run.termination == .exited(0) else { continue }
            var inFilter = false
            for line in String(decoding: run.stdout, as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix("*") { inFilter = line == "*filter" }
                if inFilter, line.hasPrefix(":FORWARD ") { return line.split(separator: " ").dropFirst().first.map(String.init) }
            }
            return nil
        }
        return nil
    }

    func configurations() -> [HostCheck] {
        unreadable.map { HostCheck(name: "configuration", verdict: .problem, found: $0, fix: "fix the file's JSON or move it out of the directory") }
    }

    /// Every store a network names can be opened and read.
    func stores() -> [HostCheck] {
        var seen: Set<String> = []
        var checks: [HostCheck] = []
        for network in networks {
            for store in [network.store, network.dnsStore].compactMap({ $0 }) {
                let key = "\(store)"
                guard seen.insert(key).inserted else { continue }
                let place: String
                switch store {
                case .local(let dataDir): place = "local store in \(dataDir)"
                case .etcd(let settings, _): place = "etcd at \(settings.endpoints.map { "\($0)" }.joined(separator: ", "))"
                }
                do {
                    if let opened = try openExistingStore(store) {
                        let revision = try opened.revision()
                        checks.append(HostCheck(name: "store", verdict: .ok, found: "\(place): readable, revision \(revision)", fix: nil))
                    } else {
                        checks.append(HostCheck(name: "store", verdict: .ok, found: "\(place): not created yet (the first ADD creates it)", fix: nil))
                    }
                } catch {
                    checks.append(HostCheck(name: "store", verdict: .problem, found: "\(place): \(error)",
                                            fix: "check the directory's permissions and free space, or that etcd is up (network \(network.name))"))
                }
            }
        }
        return checks
    }

    /// Networks that register names need the responder of their store's directory running.
    func responders() -> [HostCheck] {
        var seen: Set<String> = []
        var checks: [HostCheck] = []
        for network in networks where network.servesNames {
            guard let dataDir = network.dnsStore?.dataDir, seen.insert(dataDir).inserted else { continue }
            let paths = ResponderPaths(dataDir: dataDir)
            do {
                let client = try UnixStreamClient(path: paths.socket)
                let reply = try client.exchange(JSONCodec.encode(ResponderRequest.status) + [10], timeout: .seconds(2))
                let status = try JSONCodec.decode(ResponderReply.self, from: reply)
                let unbound = status.unbound.map { "\($0.address) port \($0.port) held by \($0.holder)" }
                checks.append(HostCheck(name: "DNS responder", verdict: unbound.isEmpty ? .ok : .problem,
                                        found: "cni-dns for \(dataDir): running, revision \(status.revision)"
                                            + (unbound.isEmpty ? "" : "; cannot bind " + unbound.joined(separator: ", ")),
                                        fix: unbound.isEmpty ? nil : "stop the program holding port 53 on the gateway, or make it bind only its own addresses"))
            } catch {
                checks.append(HostCheck(name: "DNS responder", verdict: .warning,
                                        found: "cni-dns for \(dataDir): not answering on \(paths.socket) (\(error))",
                                        fix: "it starts with the next ADD on network \(network.name); to run it now: cni-dns --data-dir \(dataDir) (see \(paths.log))"))
            }
        }
        return checks
    }
}

extension String {
    var replacingSlashes: String { String(map { $0 == "/" ? "." : $0 }) }
}
