import Addressing

/// The configuration keys every plugin shares (SPEC.md §3 request configuration). Unknown keys are
/// ignored here; each plugin decodes its own keys from the same stdin into its `Config`.
public struct NetworkConfig: Sendable {
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

        public struct CNIArgsSection: Sendable, Equatable, Decodable {
            public var ips: [String]?
            public var mac: String?
        }
    }
}

/// `CNI_ARGS`: `K=V;K2=V2`.
public struct CNIArgs: Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? { values[key] }
}
