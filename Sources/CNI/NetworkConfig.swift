import Addressing
import Identity
import JSON

/// The configuration keys every plugin shares (SPEC.md §3 request configuration). Unknown keys are
/// ignored here; each plugin decodes its own keys from the same stdin into its `Config`.
///
/// Decoding checks, in this order: `cniVersion` is one we speak (code 1; a missing one means 0.2.0,
/// which we do not), `name` is present and valid (code 7), `type` is present (code 7), then the
/// optional keys. Use `NetworkConfig.decode(from:)` to get spec-coded errors for raw bytes.
public struct NetworkConfig: Sendable, Equatable {
    public var cniVersion: CNIVersion
    public var name: NetworkName
    public var type: String
    public var ipMasq: Bool?
    /// `ipam.type`, if there is an `ipam` section with one. The section itself is read by the IPAM
    /// code from the raw stdin, because an IPAM delegate receives the whole config anyway.
    public var ipamType: String?
    public var dns: CNIResult.DNS?
    public var runtimeConfig: RuntimeConfig?
    public var args: Args?
    /// The previous plugin's result, up-converted to the 1.1.0 model whatever version it came in.
    public var prevResult: CNIResult?
    /// GC only.
    public var validAttachments: [Attachment]?

    public init(cniVersion: CNIVersion, name: NetworkName, type: String) {
        self.cniVersion = cniVersion
        self.name = name
        self.type = type
    }

    /// `runtimeConfig`: the capabilities the runtime filled in.
    public struct RuntimeConfig: Sendable, Equatable, Decodable {
        /// Capability `ips`: `"ip"` or `"ip/prefix"`.
        public var ips: [String]?
        /// Capability `mac`.
        public var mac: String?

        public init(ips: [String]? = nil, mac: String? = nil) {
            self.ips = ips
            self.mac = mac
        }
    }

    /// `args`: the structured successor of CNI_ARGS (CONVENTIONS.md), of which we read `args.cni`.
    public struct Args: Sendable, Equatable, Decodable {
        public var cni: CNIArgsSection?

        public init(cni: CNIArgsSection? = nil) { self.cni = cni }

        public struct CNIArgsSection: Sendable, Equatable, Decodable {
            public var ips: [String]?
            public var mac: String?

            public init(ips: [String]? = nil, mac: String? = nil) {
                self.ips = ips
                self.mac = mac
            }
        }
    }
}

extension NetworkConfig: Decodable {
    private enum CodingKeys: String, CodingKey {
        case cniVersion, name, type, ipMasq, ipam, dns, runtimeConfig, args, prevResult
        case validAttachments = "cni.dev/valid-attachments"
        // libcni sends both spellings (cni#1101).
        case legacyAttachments = "cni.dev/attachments"
    }

    private struct IPAMSection: Decodable {
        var type: String?
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)

        // spec-upgrades.md: a config without cniVersion is 0.2.0.
        let versionText = try container.decodeIfPresent(String.self, forKey: .cniVersion)
            .flatMap { $0.isEmpty ? nil : $0 } ?? "0.2.0"
        guard let version = CNIVersion(rawValue: versionText) else { throw CNIError.incompatibleVersion(versionText) }
        cniVersion = version

        guard let nameText = try container.decodeIfPresent(String.self, forKey: .name), !nameText.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "missing network name")
        }
        name = try container.decode(NetworkName.self, forKey: .name)

        guard let type = try container.decodeIfPresent(String.self, forKey: .type), !type.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "missing plugin type")
        }
        self.type = type

        ipMasq = try container.decodeIfPresent(Bool.self, forKey: .ipMasq)
        ipamType = try container.decodeIfPresent(IPAMSection.self, forKey: .ipam)?.type.flatMap { $0.isEmpty ? nil : $0 }
        dns = try container.decodeIfPresent(CNIResult.DNS.self, forKey: .dns)
        runtimeConfig = try container.decodeIfPresent(RuntimeConfig.self, forKey: .runtimeConfig)
        args = try container.decodeIfPresent(Args.self, forKey: .args)
        prevResult = try container.decodeIfPresent(CNIResult.self, forKey: .prevResult)
        validAttachments = try container.decodeIfPresent([Attachment].self, forKey: .validAttachments)
            ?? container.decodeIfPresent([Attachment].self, forKey: .legacyAttachments)
    }

    /// Decodes a request config from stdin bytes, every failure as the `CNIError` the spec
    /// prescribes (see the type's documentation; malformed JSON is code 6, naming where).
    public static func decode(from json: [UInt8]) throws -> NetworkConfig {
        do {
            return try JSONCodec.decode(NetworkConfig.self, from: json)
        } catch let error as DecodingError {
            throw CNIError(error, decoding: "network config", from: json)
        }
    }
}
