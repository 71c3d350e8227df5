import Addressing
import DNSWire

/// The address a PTR question under in-addr.arpa or ip6.arpa asks about (RFC 1035 §3.5, RFC 3596 §2.5).
enum ReverseName {
    static let ipv4Suffix = try! DNSName("in-addr.arpa")
    static let ipv6Suffix = try! DNSName("ip6.arpa")

    /// The address, or `nil` if `name` is not a complete reverse name.
    static func address(_ name: DNSName) -> IPAddress? {
        let labels = name.labels
        if labels.count == 6, name.isSubdomain(of: ipv4Suffix) {
            var octets: [UInt8] = []
            for label in labels[0..<4].reversed() {
                guard label.count <= 3, let value = UInt8(String(decoding: label, as: UTF8.self)) else { return nil }
                octets.append(value)
            }
            return IPAddress(bytes: octets)
        }
        if labels.count == 34, name.isSubdomain(of: ipv6Suffix) {
            var nibbles: [UInt8] = []
            for label in labels[0..<32].reversed() {
                guard label.count == 1, let value = UInt8(String(decoding: label, as: UTF8.self), radix: 16)
                else { return nil }
                nibbles.append(value)
            }
            return IPAddress(bytes: stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] })
        }
        return nil
    }
}
