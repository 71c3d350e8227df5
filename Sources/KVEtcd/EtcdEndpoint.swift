/// One etcd member's client URL, validated once: `http://host:port`, `https://host:port` (TLS), or a
/// bare `host:port`, which means http.
public struct EtcdEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    /// Whether requests go through TLS.
    public let usesTLS: Bool

    public init(_ url: String) throws {
        var rest = Substring(url)
        usesTLS = rest.hasPrefix("https://")
        if usesTLS { rest = rest.dropFirst("https://".count) } else if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
            throw EtcdError.configuration("endpoint \(url) is not http://host:port or https://host:port")
        }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw EtcdError.configuration("endpoint \(url) has no host") }
        self.host = String(host)
        self.port = port
    }

    public var description: String {
        let scheme = usesTLS ? "https" : "http"
        return host.contains(":") ? "\(scheme)://[\(host)]:\(port)" : "\(scheme)://\(host):\(port)"
    }
}
