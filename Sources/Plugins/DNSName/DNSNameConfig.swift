import CNI
import DNSRecords
import Stores

/// The dnsname plugin's keys: containers/dnsname's (`domainName`, the `aliases` capability) and
/// ours (`upstreams`, `dataDir`).
public struct DNSNameConfig: Decodable, Sendable, KnownConfigKeys {
    /// The domain names are registered under, without a trailing dot. Default `dns.podman`.
    public let domainName: String
    /// Where names outside the domain are forwarded; `nil` means the host's resolv.conf servers.
    public let upstreams: [DNSUpstream]?
    /// The store the records go to (`dataDir`, as kv-ipam's), which is also where the responder
    /// keeps its socket, lock and log.
    public let store: StoreConfiguration
    /// `runtimeConfig.aliases`: aliases by network name, as podman sends them.
    public let aliases: [String: [String]]

    public static let defaultDomainName = "dns.podman"

    public static let configKeys = ConfigKeys.keys(CodingKeys.allCases.map { $0.rawValue })

    enum CodingKeys: String, CodingKey, CaseIterable {
        case domainName, upstreams, dataDir, runtimeConfig
    }

    enum RuntimeKeys: String, CodingKey { case aliases }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let domain = try c.decodeIfPresent(String.self, forKey: .domainName) ?? ""
        let trimmed = domain.hasSuffix(".") ? String(domain.dropLast()) : domain
        domainName = trimmed.isEmpty ? Self.defaultDomainName : trimmed
        guard DNSNameSyntax.isValid(domainName) else {
            throw CNIError(.invalidNetworkConfig, "domainName \"\(domain)\" is not a valid domain name")
        }
        upstreams = try c.decodeIfPresent([DNSUpstream].self, forKey: .upstreams)
        store = try StoreConfiguration(from: decoder)
        if c.contains(.runtimeConfig), try !c.decodeNil(forKey: .runtimeConfig) {
            let runtime = try c.nestedContainer(keyedBy: RuntimeKeys.self, forKey: .runtimeConfig)
            aliases = try runtime.decodeIfPresent([String: [String]].self, forKey: .aliases) ?? [:]
        } else {
            aliases = [:]
        }
    }

    /// The host's directory of the store, where the responder keeps its socket, lock and log.
    var dataDir: String { store.dataDir }
}
