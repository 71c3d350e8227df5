import Addressing
import CNI
import DNSRecords
import Identity
import IPAM
import KV
import Netlink
import POSIX
import PluginKit
import Stores

/// `dnsname`: registers a container's name and aliases for the `cni-dns` responder, chained after a
/// plugin whose network has its gateway on this host (bridge). Config-compatible with
/// containers/dnsname; the names live in the store, one record per attachment, and one responder
/// serves every network of the host on the networks' gateway addresses.
public struct DNSNamePlugin: CNIPlugin {
    public typealias Config = DNSNameConfig
    public static let name = "dnsname"

    /// Where a container's name comes from: what podman and Kubernetes runtimes send in CNI_ARGS.
    static let nameArgument = "K8S_POD_NAME"

    public init() {}

    public func add(_ request: AttachmentRequest<DNSNameConfig>) throws -> CNIResult {
        let previous = try prevResult(of: request)
        let record = try expectedRecord(for: request, previous: previous, upstreams: try upstreams(for: request, previous))
        let records = DNSRecordStore(store: try openStore(request.config.store))
        let client = ResponderClient(dataDir: request.config.dataDir, searchPath: request.searchPath)
        try client.configure(storeOf: request.stdin)
        try Rollback.run { rollback in
            let revision = try records.put(record)
            rollback.onFailure {
                if let removed = try? records.remove(record.attachment, on: record.network) {
                    _ = try? client.syncIfRunning(removed.revision)
                }
            }
            let reply = try client.sync(revision)
            if let unbound = reply.unbound.first(where: { record.gateways.contains($0.address) }) {
                throw CNIError(.invalidNetworkConfig,
                               "dnsname: port \(unbound.port) on gateway \(unbound.address) is held by \(unbound.holder)",
                               details: "the responder cannot answer for \(record.network) there; stop that program or bind it elsewhere")
            }
        }
        var result = previous
        result.dns = Self.merged(result.dns, nameservers: record.gateways, search: record.domain)
        return result
    }

    public func del(_ request: AttachmentRequest<DNSNameConfig>) throws {
        guard let store = try openExistingStore(request.config.store) else { return }
        let removed = try DNSRecordStore(store: store).remove(request.attachment, on: request.network.name)
        guard removed.removed else { return }
        let client = ResponderClient(dataDir: request.config.dataDir, searchPath: request.searchPath)
        _ = try client.syncIfRunning(removed.revision)
    }

    public func check(_ request: AttachmentRequest<DNSNameConfig>) throws {
        let previous = try prevResult(of: request)
        guard let store = try openExistingStore(request.config.store),
              let stored = try DNSRecordStore(store: store).record(of: request.attachment, on: request.network.name) else {
            throw CheckFailure("no DNS record for \(request.attachment.containerID)/\(request.interface) on \(request.network.name)")
        }
        let expected = try expectedRecord(for: request, previous: previous, upstreams: stored.upstreams)
        guard stored == expected else {
            throw CheckFailure("the DNS record of \(request.attachment.containerID)/\(request.interface) is \(Self.summary(stored)), expected \(Self.summary(expected))")
        }
        try verifyAnswers(for: stored, client: ResponderClient(dataDir: request.config.dataDir, searchPath: request.searchPath))
    }

    public func gc(_ request: NetworkRequest<DNSNameConfig>) throws {
        guard let store = try openExistingStore(request.config.store) else { return }
        let collected = try DNSRecordStore(store: store).removeAll(on: request.network.name, except: request.validAttachments)
        guard collected.removed > 0 else { return }
        _ = try ResponderClient(dataDir: request.config.dataDir, searchPath: request.searchPath).syncIfRunning(collected.revision)
    }

    public func status(_ request: NetworkRequest<DNSNameConfig>) throws {
        let client = ResponderClient(dataDir: request.config.dataDir, searchPath: request.searchPath)
        guard client.executablePath() != nil else {
            throw CNIError(.notAvailable, "dnsname: \(ResponderClient.executable) is not in CNI_PATH",
                           details: "names cannot be served without the responder")
        }
        do {
            _ = try client.statusIfRunning()
        } catch let error as CNIError {
            throw CNIError(.notAvailable, error.msg, details: error.details)
        }
    }

    // MARK: - The record

    /// The record an attachment with `previous` as its result registers: its addresses, the
    /// gateways on this host, its name and its aliases on this network.
    private func expectedRecord(for request: AttachmentRequest<DNSNameConfig>, previous: CNIResult,
                                upstreams: [DNSUpstream]) throws -> DNSRecord {
        let addresses = Self.containerAddresses(in: previous, interface: request.interface)
        let local = try Self.hostAddresses()
        var gateways: [IPAddress] = []
        for gateway in previous.ips.compactMap(\.gateway) where local.contains(gateway) && !gateways.contains(gateway) {
            gateways.append(gateway)
        }
        guard !addresses.isEmpty, !gateways.isEmpty else {
            throw CNIError(.invalidNetworkConfig,
                           "dnsname: names need a network whose gateway is on this host",
                           details: addresses.isEmpty ? "prevResult has no address on \(request.interface)"
                               : "no gateway of prevResult is an address of this host (macvlan and ipvlan networks route through an external gateway)")
        }
        var names: [String] = []
        for name in [request.args[Self.nameArgument]].compactMap({ $0 }) + (request.config.aliases[request.network.name.rawValue] ?? [])
        where !names.contains(name) {
            guard DNSNameSyntax.isValid(name) else {
                throw CNIError(.invalidNetworkConfig, "dnsname: \"\(name)\" is not a valid DNS name",
                               details: "names are dot-separated labels of letters, digits, '-' and '_'")
            }
            names.append(name)
        }
        return DNSRecord(network: request.network.name, attachment: request.attachment, domain: request.config.domainName,
                         names: names, addresses: addresses, gateways: gateways, upstreams: upstreams)
    }

    /// The configured upstreams, or the host's resolv.conf servers that are not this network's
    /// gateways (which would forward to ourselves).
    private func upstreams(for request: AttachmentRequest<DNSNameConfig>, _ previous: CNIResult) throws -> [DNSUpstream] {
        if let configured = request.config.upstreams { return configured }
        guard let text = try? RegularFile.contents(atPath: "/etc/resolv.conf", limit: ResolvConf.sizeLimit) else { return [] }
        let gateways = Set(previous.ips.compactMap(\.gateway))
        return (ResolvConf.parse(String(decoding: text, as: UTF8.self)).nameservers ?? [])
            .compactMap { DNSUpstream($0) }.filter { !gateways.contains($0.address) }
    }

    /// Every address of the container's `interface` in `result`; an address tied to no interface
    /// counts as the container's (the result of a plugin that lists none).
    private static func containerAddresses(in result: CNIResult, interface: InterfaceName) -> [IPAddress] {
        var found: [IPAddress] = []
        for ip in result.ips where !found.contains(ip.address.address) {
            if let index = ip.interface, result.interfaces.indices.contains(index) {
                let owner = result.interfaces[index]
                guard owner.name == interface.rawValue, !(owner.sandbox ?? "").isEmpty else { continue }
            }
            found.append(ip.address.address)
        }
        return found
    }

    private static func hostAddresses() throws -> Set<IPAddress> {
        Set(try NetlinkSocket().addressesByLink().values.joined().map(\.address))
    }

    private func prevResult(of request: AttachmentRequest<DNSNameConfig>) throws -> CNIResult {
        guard let previous = request.network.prevResult else {
            throw CNIError(.invalidNetworkConfig, "dnsname must be chained after a plugin that returns a result",
                           details: "no prevResult in the configuration")
        }
        return previous
    }

    /// `dns` with our nameservers and search domain first, then what was there, without repeats.
    static func merged(_ dns: CNIResult.DNS?, nameservers: [IPAddress], search: String) -> CNIResult.DNS {
        var merged = dns ?? CNIResult.DNS()
        let ours = nameservers.map(\.description)
        merged.nameservers = ours + (merged.nameservers ?? []).filter { !ours.contains($0) }
        merged.search = [search] + (merged.search ?? []).filter { $0 != search }
        return merged
    }

    // MARK: - CHECK's query

    /// Asks each gateway, as a container would, for the record's first name; every address of the
    /// record must be in the answers. A record without a name proves itself by a running responder.
    private func verifyAnswers(for record: DNSRecord, client: ResponderClient) throws {
        guard let name = record.names.first else {
            guard try client.statusIfRunning() != nil else { throw CheckFailure("\(ResponderClient.executable) is not running") }
            return
        }
        let fqdn = "\(name).\(record.domain)"
        for gateway in record.gateways {
            for family in AddressFamily.allCases {
                let wanted = record.addresses.filter { $0.family == family }
                guard !wanted.isEmpty else { continue }
                let answered: [IPAddress]
                do {
                    answered = try DNSProbe.addresses(of: fqdn, family: family, server: gateway)
                } catch {
                    throw CheckFailure("\(error)")
                }
                guard wanted.allSatisfy(answered.contains) else {
                    throw CheckFailure("\(gateway):53 answers \(fqdn) with \(answered.map(\.description)), expected \(wanted.map(\.description))")
                }
            }
        }
    }

    private static func summary(_ record: DNSRecord) -> String {
        "names \(record.names) addresses \(record.addresses.map(\.description)) gateways \(record.gateways.map(\.description)) in \(record.domain)"
    }
}
