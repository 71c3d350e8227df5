import Addressing

/// A cursor over a received message. Every read is bounds-checked and throws `truncated` past the
/// end; names follow compression pointers only strictly backwards, so a name ends after at most as
/// many jumps as the message has octets before it, and the jump count is capped besides.
struct MessageReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u8(_ part: String) throws(DNSWireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(part) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ part: String) throws(DNSWireError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated(part) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ part: String) throws(DNSWireError) -> UInt32 {
        UInt32(try u16(part)) << 16 | UInt32(try u16(part))
    }

    mutating func octets(_ count: Int, _ part: String) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated(part) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func header() throws(DNSWireError) -> DNSHeader {
        guard remaining >= DNSHeader.length else { throw .truncated("header") }
        return DNSHeader(id: try u16("header"), flags: try u16("header"), questionCount: try u16("header"),
                         answerCount: try u16("header"), authorityCount: try u16("header"),
                         additionalCount: try u16("header"))
    }

    /// Reads a name at the cursor, following pointers; the cursor ends after the name's first
    /// pointer or its root label.
    mutating func readName() throws(DNSWireError) -> DNSName {
        var wire: [UInt8] = []
        var position = offset
        var resume: Int? = nil
        // Each pointer goes strictly backwards, so this bound is never what stops a valid name;
        // it makes the loop's end evident rather than argued.
        var jumps = 0
        while true {
            guard position < bytes.count else { throw .truncated("name") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resume ?? position + 1
                    return DNSName(uncheckedWire: wire)
                }
                let count = Int(length)
                guard position + 1 + count <= bytes.count else { throw .truncated("name") }
                guard wire.count + count + 2 <= DNSName.maxWireLength else { throw .nameTooLong }
                wire += bytes[position..<position + 1 + count]
                position += 1 + count
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated("name") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                jumps += 1
                guard target < position, jumps <= DNSName.maxWireLength / 2 else { throw .badPointer }
                if resume == nil { resume = position + 2 }
                position = target
            default:
                // 0x40 (extended label types, RFC 6891 deprecated them) and 0x80 (reserved).
                throw .badLabel
            }
        }
    }

    mutating func question() throws(DNSWireError) -> DNSQuestion {
        let name = try readName()
        return DNSQuestion(name: name, type: DNSType(rawValue: try u16("question")), recordClass: try u16("question"))
    }

    /// A record with its raw class and TTL fields; OPT gives both other meanings, which the caller reads.
    mutating func record() throws(DNSWireError) -> ResourceRecord {
        let name = try readName()
        let type = DNSType(rawValue: try u16("record"))
        let recordClass = try u16("record")
        let ttl = try u32("record")
        let length = Int(try u16("record"))
        guard remaining >= length else { throw .truncated("record data") }
        let end = offset + length
        let data: RecordData
        switch type {
        case .a:
            guard length == 4 else { throw .badRecordData }
            data = .a(IPv4Address(bytes: try octets(4, "record data"))!)
        case .aaaa:
            guard length == 16 else { throw .badRecordData }
            data = .aaaa(IPv6Address(bytes: try octets(16, "record data"))!)
        case .ptr:
            data = .ptr(try readName())
        case .soa:
            let primary = try readName()
            let mailbox = try readName()
            data = .soa(SOAData(primary: primary, mailbox: mailbox, serial: try u32("SOA"), refresh: try u32("SOA"),
                                retry: try u32("SOA"), expire: try u32("SOA"), minimum: try u32("SOA")))
        default:
            data = .opaque(type, try octets(length, "record data"))
        }
        guard offset == end else { throw .badRecordData }
        return ResourceRecord(name: name, ttl: ttl, data: data, recordClass: recordClass)
    }
}
