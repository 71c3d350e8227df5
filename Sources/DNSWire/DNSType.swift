/// A record type (RFC 1035 §3.2.2 and successors); the ones we give meaning to are named.
public struct DNSType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(rawValue: 1)
    public static let ns = DNSType(rawValue: 2)
    public static let cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6)
    public static let ptr = DNSType(rawValue: 12)
    public static let mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16)
    public static let aaaa = DNSType(rawValue: 28)
    public static let srv = DNSType(rawValue: 33)
    public static let opt = DNSType(rawValue: 41)
    public static let any = DNSType(rawValue: 255)
}

/// The Internet class, the only one we answer; OPT reuses the class field for its UDP size.
public enum DNSClass {
    public static let internet: UInt16 = 1
}
