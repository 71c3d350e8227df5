import JSON

extension CNIResult: Codable {
    private enum CodingKeys: String, CodingKey { case cniVersion, interfaces, ips, routes, dns }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        interfaces = try container.decodeIfPresent([Interface].self, forKey: .interfaces) ?? []
        ips = try container.decodeIfPresent([IPConfig].self, forKey: .ips) ?? []
        routes = try container.decodeIfPresent([Route].self, forKey: .routes) ?? []
        dns = try container.decodeIfPresent(DNS.self, forKey: .dns).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func encode(to encoder: Encoder) throws {
        try encodeBody(to: encoder, layout: .latest)
    }

    /// The document an ADD prints: `cniVersion` first, then this result in `version`'s layout.
    ///
    /// - 1.1.0: as is.
    /// - 1.0.0: without the fields 1.1.0 added (interface `mtu`, `socketPath`, `pciID`; route `mtu`,
    ///   `advmss`, `priority`, `table`, `scope`). libcni keeps them; dropping them is stricter.
    /// - 0.3.0, 0.3.1, 0.4.0: as 1.0.0, plus `"version": "4"|"6"` in each `ips` entry.
    public func encoded(as version: CNIVersion) throws -> [UInt8] {
        try JSONCodec.encode(Document(version: version, result: self))
    }

    /// Parses a result of any version we speak (a delegate's stdout, a stored prevResult).
    public static func decode(from json: [UInt8]) throws -> CNIResult {
        do {
            return try JSONCodec.decode(CNIResult.self, from: json)
        } catch let error as DecodingError {
            throw CNIError(error, decoding: "result", from: json)
        }
    }

    private struct Document: Encodable {
        let version: CNIVersion
        let result: CNIResult

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version, forKey: .cniVersion)
            try result.encodeBody(to: encoder, layout: version)
        }
    }

    private func encodeBody(to encoder: Encoder, layout version: CNIVersion) throws {
        let result = version < .v1_1_0 ? withoutFieldsAddedIn1_1 : self
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !result.interfaces.isEmpty { try container.encode(result.interfaces, forKey: .interfaces) }
        if !result.ips.isEmpty {
            try container.encode(result.ips.map { LegacyAwareIP(ip: $0, carriesVersion: version.resultCarriesIPVersion) },
                                 forKey: .ips)
        }
        if !result.routes.isEmpty { try container.encode(result.routes, forKey: .routes) }
        if let dns = result.dns, !dns.isEmpty { try container.encode(dns, forKey: .dns) }
    }

    private var withoutFieldsAddedIn1_1: CNIResult {
        var result = self
        for index in result.interfaces.indices {
            result.interfaces[index].mtu = nil
            result.interfaces[index].socketPath = nil
            result.interfaces[index].pciID = nil
        }
        for index in result.routes.indices {
            result.routes[index].mtu = nil
            result.routes[index].advmss = nil
            result.routes[index].priority = nil
            result.routes[index].table = nil
            result.routes[index].scope = nil
        }
        return result
    }

    /// An `ips` entry, with the pre-1.0 `"version"` key when the layout wants it.
    private struct LegacyAwareIP: Encodable {
        let ip: IPConfig
        let carriesVersion: Bool

        private enum CodingKeys: String, CodingKey { case version }

        func encode(to encoder: Encoder) throws {
            try ip.encode(to: encoder)
            if carriesVersion {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(ip.address.family == .ipv4 ? "4" : "6", forKey: .version)
            }
        }
    }
}
