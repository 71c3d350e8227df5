import Addressing

/// One resource record of the answer, authority or additional section.
public struct ResourceRecord: Equatable, Sendable {
    public var name: DNSName
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: RecordData

    public init(name: DNSName, ttl: UInt32, data: RecordData, recordClass: UInt16 = DNSClass.internet) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public var type: DNSType { data.type }
}

/// The data of a record: decoded for the types we serve, the raw octets for every other type (they
/// are copied, never reinterpreted, so names inside them must not use compression we would break;
/// RFC 3597 forbids it for types defined after 1035).
public enum RecordData: Equatable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ptr(DNSName)
    case soa(SOAData)
    case opaque(DNSType, [UInt8])

    public var type: DNSType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ptr: .ptr
        case .soa: .soa
        case .opaque(let type, _): type
        }
    }
}

/// The fields of an SOA record (RFC 1035 §3.3.13).
public struct SOAData: Equatable, Sendable {
    public var primary: DNSName
    public var mailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308).
    public var minimum: UInt32

    public init(primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
                expire: UInt32, minimum: UInt32) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
