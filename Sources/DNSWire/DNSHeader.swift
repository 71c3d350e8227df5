/// The fixed 12-octet header of every message (RFC 1035 §4.1.1).
public struct DNSHeader: Equatable, Sendable {
    public var id: UInt16
    /// The flag bits: QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low four bits of the rcode.
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public static let length = 12

    public init(id: UInt16, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
                authorityCount: UInt16 = 0, additionalCount: UInt16 = 0) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    public var isResponse: Bool {
        get { flags & 0x8000 != 0 }
        set { setFlag(0x8000, newValue) }
    }
    public var opcode: UInt8 { UInt8((flags >> 11) & 0xF) }
    public var isAuthoritative: Bool {
        get { flags & 0x0400 != 0 }
        set { setFlag(0x0400, newValue) }
    }
    public var isTruncated: Bool {
        get { flags & 0x0200 != 0 }
        set { setFlag(0x0200, newValue) }
    }
    public var recursionDesired: Bool {
        get { flags & 0x0100 != 0 }
        set { setFlag(0x0100, newValue) }
    }
    public var recursionAvailable: Bool {
        get { flags & 0x0080 != 0 }
        set { setFlag(0x0080, newValue) }
    }
    /// The header's four rcode bits (extended rcodes live in OPT, which we never send).
    public var rcode: DNSRcode {
        get { DNSRcode(rawValue: UInt8(flags & 0xF)) }
        set { flags = flags & ~0xF | UInt16(newValue.rawValue & 0xF) }
    }

    private mutating func setFlag(_ bit: UInt16, _ on: Bool) {
        flags = on ? flags | bit : flags & ~bit
    }
}

/// A response code (RFC 1035 §4.1.1).
public struct DNSRcode: RawRepresentable, Equatable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let noError = DNSRcode(rawValue: 0)
    public static let formatError = DNSRcode(rawValue: 1)
    public static let serverFailure = DNSRcode(rawValue: 2)
    public static let nameError = DNSRcode(rawValue: 3)
    public static let notImplemented = DNSRcode(rawValue: 4)
    public static let refused = DNSRcode(rawValue: 5)
}
