import Addressing
import CNI
import JSON

/// The `ipam` section, compatible with the reference host-local plugin: `ranges` (range sets) or the
/// legacy `subnet`/`rangeStart`/`rangeEnd`/`gateway`, plus `routes`, `dataDir` and `resolvConf`.
public struct IPAMConfig: Sendable, Equatable {
    public var type: String
    public var rangeSets: [RangeSet]
    /// Routes for the result as configured; a route without `gw` goes via its family's gateway.
    public var routes: [CNIResult.Route]
    /// Directory of the local store.
    public var dataDir: String
    /// A resolv.conf whose servers and search domains go into the result's `dns`.
    public var resolvConf: String?

    /// Where the local store lives when `dataDir` is not set.
    public static let defaultDataDir = "/var/lib/swift-cni"

    /// Reads the `ipam` section out of a whole network configuration.
    public static func decode(networkConfig json: [UInt8]) throws -> IPAMConfig {
        let section: SectionAsWritten
        do {
            guard let ipam = try JSONCodec.decode(NetworkConfigWithIPAM.self, from: json).ipam else {
                throw IPAMError.invalidConfig("the network configuration has no \"ipam\" section")
            }
            section = ipam
        } catch let error as DecodingError {
            throw CNIError(error, decoding: "the ipam section", from: json)
        }
        return try IPAMConfig(section)
    }

    init(_ section: SectionAsWritten) throws {
        type = section.type ?? ""
        var sets: [[SectionAsWritten.Range]] = section.ranges ?? []
        if let subnet = section.subnet {
            sets.insert([SectionAsWritten.Range(subnet: subnet, rangeStart: section.rangeStart,
                                                rangeEnd: section.rangeEnd, gateway: section.gateway)], at: 0)
        }
        guard !sets.isEmpty else {
            throw IPAMError.invalidConfig("ipam needs \"ranges\" or \"subnet\" to allocate from")
        }
        rangeSets = try sets.enumerated().map { setIndex, ranges in
            try RangeSet(ranges.enumerated().map { index, raw in
                try raw.parsed(at: "ranges[\(setIndex)][\(index)]")
            })
        }
        for (i, a) in rangeSets.enumerated() {
            for b in rangeSets[(i + 1)...] {
                for x in a.ranges { for y in b.ranges where x.subnet.overlaps(y.subnet) {
                    throw IPAMError.invalidConfig("range sets overlap: \(x.subnet) and \(y.subnet)")
                } }
            }
        }
        routes = try (section.routes ?? []).enumerated().map { index, route in
            guard let dst = Subnet(route.dst) else {
                throw IPAMError.invalidConfig("routes[\(index)].dst \"\(route.dst)\" is not a subnet in CIDR notation")
            }
            let gw = try route.gw.map { text in
                guard let gw = IPAddress(text), gw.family == dst.family else {
                    throw IPAMError.invalidConfig("routes[\(index)].gw \"\(text)\" is not an address of \(dst)'s family")
                }
                return gw
            }
            return CNIResult.Route(dst: dst, gw: gw)
        }
        dataDir = try DataDirectory.validated(section.dataDir ?? Self.defaultDataDir)
        resolvConf = section.resolvConf
    }

    /// The network configuration, of which IPAM reads only its own section.
    struct NetworkConfigWithIPAM: Decodable {
        let ipam: SectionAsWritten?
    }

    /// The `ipam` section as written, before `init(_:)` validates it.
    struct SectionAsWritten: Decodable {
        var type: String?
        var ranges: [[Range]]?
        var subnet: String?
        var rangeStart: String?
        var rangeEnd: String?
        var gateway: String?
        var routes: [RouteEntry]?
        var dataDir: String?
        var resolvConf: String?

        struct Range: Decodable {
            var subnet: String
            var rangeStart: String?
            var rangeEnd: String?
            var gateway: String?

            func parsed(at path: String) throws -> IPRange {
                guard let cidr = InterfaceAddress(subnet) else {
                    throw IPAMError.invalidConfig("\(path).subnet \"\(subnet)\" is not a subnet in CIDR notation")
                }
                guard cidr.address == cidr.subnet.network else {
                    throw IPAMError.invalidConfig(
                        "\(path).subnet \"\(subnet)\" has host bits set; did you mean \(cidr.subnet)?")
                }
                func address(_ key: String, _ text: String?) throws -> IPAddress? {
                    guard let text else { return nil }
                    guard let address = IPAddress(text) else {
                        throw IPAMError.invalidConfig("\(path).\(key) \"\(text)\" is not an IP address")
                    }
                    return address
                }
                do {
                    return try IPRange(subnet: cidr.subnet, start: address("rangeStart", rangeStart),
                                       end: address("rangeEnd", rangeEnd), gateway: address("gateway", gateway))
                } catch IPAMError.invalidConfig(let problem) {
                    throw IPAMError.invalidConfig("\(path): \(problem)")
                }
            }
        }

        struct RouteEntry: Decodable {
            var dst: String
            var gw: String?
        }
    }
}
