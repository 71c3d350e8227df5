import Addressing

/// A resolver names outside a network's domain are forwarded to: `ip`, `ip:port`, or `[v6]:port`.
/// The port defaults to 53.
public struct DNSUpstream: Hashable, Sendable, StringCodable {
    public let address: IPAddress
    public let port: UInt16

    public init(address: IPAddress, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    public init?(_ text: String) {
        if let address = IPAddress(text) {
            self.init(address: address)
            return
        }
        // `ip:port` for IPv4, `[ip]:port` for IPv6: a bare IPv6 address was taken above.
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port != 0
        else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
            guard let address = IPAddress(host), address.family == .ipv6 else { return nil }
            self.init(address: address, port: port)
        } else {
            guard let address = IPAddress(host), address.family == .ipv4 else { return nil }
            self.init(address: address, port: port)
        }
    }

    public var description: String {
        switch (address.family, port) {
        case (_, 53): address.description
        case (.ipv4, _): "\(address):\(port)"
        case (.ipv6, _): "[\(address)]:\(port)"
        }
    }

    public static func refusal(_ text: String) -> String {
        "invalid upstream \"\(text)\": an upstream is an IP address, ip:port or [ipv6]:port"
    }
}
