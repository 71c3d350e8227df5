/// One etcd member's client URL, validated once: `http://host:port` (a bare `host:port` means http).
public struct EtcdEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    public init(_ url: String) throws {
        var rest = Substring(url)
        if rest.hasPrefix("https://") {
            throw EtcdError.configuration("endpoint \(url): TLS is not supported by this client yet; use http://")
        }
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
            throw EtcdError.configuration("endpoint \(url) is not http://host:port")
        }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw EtcdError.configuration("endpoint \(url) has no host") }
        self.host = String(host)
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }
}
