import Identity
import KVEtcd

/// The `store` object of type `etcd`, validated: where the cluster is, how long a request may take,
/// which keys are swift-cni's, and who this host is.
public struct EtcdStoreSettings: Sendable, Equatable {
    public var endpoints: [EtcdEndpoint]
    /// Every key swift-cni writes starts with it.
    public var prefix: String
    /// This host's name in the store, when the configuration gives one.
    public var hostID: String?
    public var timeout: Duration
    public var username: String?
    /// Where the password comes from: inline, or a file read when the store is opened (never argv).
    public var password: Secret?
    /// TLS for `https://` endpoints: the CA file and the client certificate and key.
    public var tls: EtcdTLSFiles

    public enum Secret: Sendable, Equatable {
        case inline(String)
        case file(String)
    }

    public static let defaultPrefix = "/swift-cni/"
    public static let defaultTimeout: Duration = .seconds(2)

    /// Which store these settings name, as 16 hex digits that can be part of a key or a file name:
    /// the same exactly when two settings reach the same keys of the same cluster, whatever their
    /// credentials, timeout, host or order of endpoints.
    public var tag: String {
        FNV1a.digits(([prefix] + endpoints.map(\.description).sorted()).joined(separator: "\n"))
    }
}

extension EtcdStoreSettings: Decodable {
    private enum CodingKeys: String, CodingKey {
        case type, endpoints, prefix, hostID, caFile, certFile, keyFile, username, password, passwordFile, timeout
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let urls = try container.decode([String].self, forKey: .endpoints)
        guard !urls.isEmpty else { throw StoreConfigurationError("store: \"endpoints\" must name at least one etcd endpoint") }
        do {
            endpoints = try urls.map(EtcdEndpoint.init)
        } catch {
            throw StoreConfigurationError("store: \(error)")
        }
        prefix = try container.decodeIfPresent(String.self, forKey: .prefix) ?? Self.defaultPrefix
        hostID = try container.decodeIfPresent(String.self, forKey: .hostID)
        if let hostID, hostID.isEmpty || hostID.contains("/") {
            throw StoreConfigurationError("store: \"hostID\" \"\(hostID)\" must be non-empty and without \"/\"")
        }
        tls = EtcdTLSFiles(caFile: try container.decodeIfPresent(String.self, forKey: .caFile),
                           certFile: try container.decodeIfPresent(String.self, forKey: .certFile),
                           keyFile: try container.decodeIfPresent(String.self, forKey: .keyFile))
        try Self.validate(tls, endpoints: endpoints)
        if let seconds = try container.decodeIfPresent(Double.self, forKey: .timeout) {
            guard seconds > 0, seconds <= 300 else {
                throw StoreConfigurationError("store: \"timeout\" must be a number of seconds above 0 and at most 300")
            }
            timeout = .milliseconds(Int64((seconds * 1000).rounded(.up)))
        } else {
            timeout = Self.defaultTimeout
        }
        username = try container.decodeIfPresent(String.self, forKey: .username)
        let inline = try container.decodeIfPresent(String.self, forKey: .password)
        let file = try container.decodeIfPresent(String.self, forKey: .passwordFile)
        switch (inline, file) {
        case (nil, nil): password = nil
        case (let text?, nil): password = .inline(text)
        case (nil, let path?): password = .file(path)
        case (_?, _?): throw StoreConfigurationError("store: give \"password\" or \"passwordFile\", not both")
        }
        if password != nil && username == nil {
            throw StoreConfigurationError("store: a password needs a \"username\"")
        }
    }
}

extension EtcdStoreSettings {
    /// TLS files are for `https://` endpoints: naming them beside an `http://` one is a mistake
    /// that would otherwise send credentials in the clear. A certificate needs its key.
    private static func validate(_ tls: EtcdTLSFiles, endpoints: [EtcdEndpoint]) throws {
        for (key, path) in [("caFile", tls.caFile), ("certFile", tls.certFile), ("keyFile", tls.keyFile)] {
            if let path, !path.hasPrefix("/") {
                throw StoreConfigurationError("store: \"\(key)\" \(path) must be an absolute path")
            }
        }
        switch (tls.certFile, tls.keyFile) {
        case (_?, nil): throw StoreConfigurationError("store: \"certFile\" needs \"keyFile\", the certificate's private key")
        case (nil, _?): throw StoreConfigurationError("store: \"keyFile\" needs \"certFile\", the certificate it belongs to")
        default: break
        }
        if !tls.isEmpty, let plain = endpoints.first(where: { !$0.usesTLS }) {
            throw StoreConfigurationError("store: TLS files are given but endpoint \(plain) is not https://")
        }
    }
}
