import Addressing
import CNI
import JSON

/// The `ipam` section, compatible with the reference host-local plugin: `ranges` (range sets) or the
/// legacy `subnet`/`rangeStart`/`rangeEnd`/`gateway`, plus `routes` and `resolvConf`. Where the leases
/// are kept (host-local's `dataDir`) is the caller's to read from the same section (see `decode`).
public struct IPAMConfig: Sendable, Equatable {
    public var type: String
    public var rangeSets: [RangeSet]
    /// Routes for the result as configured; a route without `gw` goes via its family's gateway.
    public var routes: [CNIResult.Route]
    /// A resolv.conf whose servers and search domains go into the result's `dns`.
    public var resolvConf: String?
    /// Addresses per block where hosts share a store (see `BlockLayout`): a power of two.
    public var blockSize: Int
    /// How long an empty block stays claimed before it goes back (`blockGracePeriod`, in seconds).
    public var blockGracePeriod: Duration

    /// A week: a lease's TTL is kept as int64 seconds everywhere, but a longer grace only hides a
    /// mistake.
    static let longestGracePeriod = 7 * 24 * 3600

    /// The keys of the `ipam` section, host-local's, `dataDir` and `store` among them for the caller
    /// to read (see `decode`). A route's keys beyond `dst` and `gw` are the spec's (CNI 1.1), which
    /// host-local passes on and kv-ipam accepts and ignores.
    public static let configKeys = ConfigKeys.keys(
        ["type", "subnet", "rangeStart", "rangeEnd", "gateway", "dataDir", "resolvConf", "blockSize", "blockGracePeriod"],
        nested: [
            .init("ranges", .list(.list(.keys(["subnet", "rangeStart", "rangeEnd", "gateway"])))),
            .init("routes", .list(.keys(["dst", "gw", "mtu", "advmss", "priority", "table", "scope"]))),
            .init("store", .keys(["type", "endpoints", "prefix", "hostID", "caFile", "certFile", "keyFile", "username",
                                  "password", "passwordFile", "timeout"])),
        ])

    /// Reads the `ipam` section out of a whole network configuration, and `Extra` from the same
    /// section: the keys IPAM leaves to its caller, such as where the store is. One pass over the text
    /// serves both, and `Extra` is decoded once the section itself has been found valid.
    public static func decode<Extra: Decodable>(networkConfig json: [UInt8],
                                                with extra: Extra.Type) throws -> (IPAMConfig, Extra) {
        do {
            guard let ipam = try JSONCodec.decode(NetworkConfigWithIPAM.self, from: json).ipam else {
                throw IPAMError.invalidConfig("the network configuration has no \"ipam\" section")
            }
            let config = try IPAMConfig(ipam.section)
            return (config, try Extra(from: ipam.decoder))
        } catch let error as DecodingError {
            throw CNIError(error, decoding: "the ipam section", from: json)
        }
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
        resolvConf = section.resolvConf
        blockSize = section.blockSize ?? BlockLayout.defaultSize
        guard BlockLayout.sizes.contains(blockSize), blockSize & (blockSize - 1) == 0 else {
            throw IPAMError.invalidConfig(
                "blockSize \(blockSize) is not a power of two from \(BlockLayout.sizes.lowerBound) to \(BlockLayout.sizes.upperBound)")
        }
        if let seconds = section.blockGracePeriod {
            guard (1...Self.longestGracePeriod).contains(seconds) else {
                throw IPAMError.invalidConfig("blockGracePeriod \(seconds) is not a number of seconds from 1 to \(Self.longestGracePeriod)")
            }
            blockGracePeriod = .seconds(seconds)
        } else {
            blockGracePeriod = BlockLayout.defaultGracePeriod
        }
    }

    /// The network configuration, of which IPAM reads only its own section.
    struct NetworkConfigWithIPAM: Decodable {
        let ipam: SectionWithDecoder?
    }

    /// The `ipam` section as written, and the decoder that read it, from which the caller's keys are
    /// read in turn.
    struct SectionWithDecoder: Decodable {
        let section: SectionAsWritten
        let decoder: any Decoder

        init(from decoder: any Decoder) throws {
            section = try SectionAsWritten(from: decoder)
            self.decoder = decoder
        }
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
        var resolvConf: String?
        var blockSize: Int?
        var blockGracePeriod: Int?

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
