/// A whole DNS message: header, the four sections, and the EDNS OPT record apart from the others.
public struct DNSMessage: Equatable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    /// The additional section without the OPT record.
    public var additionals: [ResourceRecord]
    public var edns: EDNS?

    /// A UDP message without EDNS is at most this long (RFC 1035 §4.2.1).
    public static let classicUDPSize = 512
    /// Smallest question (root name, type, class) and smallest record, for bounding header counts.
    static let minimumQuestionLength = 5
    static let minimumRecordLength = 11

    public init(header: DNSHeader, questions: [DNSQuestion] = [], answers: [ResourceRecord] = [],
                authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], edns: EDNS? = nil) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// Parses a message. Counts the message cannot hold are refused before anything is allocated
    /// for them, so a 12-octet header claiming 65535 records costs nothing.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        var reader = MessageReader(bytes)
        let header = try reader.header()
        let records = Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
        guard Int(header.questionCount) * Self.minimumQuestionLength + records * Self.minimumRecordLength
                <= reader.remaining else { throw .badCount }
        var questions: [DNSQuestion] = []
        questions.reserveCapacity(Int(header.questionCount))
        for _ in 0..<header.questionCount { questions.append(try reader.question()) }
        func section(_ count: UInt16) throws(DNSWireError) -> [ResourceRecord] {
            var records: [ResourceRecord] = []
            records.reserveCapacity(Int(count))
            for _ in 0..<count {
                let record = try reader.record()
                guard record.type != .opt else { throw .badOPT }
                records.append(record)
            }
            return records
        }
        let answers = try section(header.answerCount)
        let authorities = try section(header.authorityCount)
        var additionals: [ResourceRecord] = []
        var edns: EDNS? = nil
        for _ in 0..<header.additionalCount {
            let record = try reader.record()
            if record.type == .opt {
                guard edns == nil, record.name == .root else { throw .badOPT }
                edns = EDNS(udpPayloadSize: Int(record.recordClass), version: UInt8((record.ttl >> 16) & 0xFF),
                            dnssecOK: record.ttl & 0x8000 != 0)
            } else {
                additionals.append(record)
            }
        }
        self.init(header: header, questions: questions, answers: answers, authorities: authorities,
                  additionals: additionals, edns: edns)
    }

    /// The message on the wire, at most `limit` octets. Records that do not fit are left out whole,
    /// in order: if an answer or authority record is left out the header gets TC (RFC 2181 §9), an
    /// additional record is left out silently. The OPT record, if any, is always kept.
    public func encoded(limit: Int = 65535) throws(DNSWireError) -> [UInt8] {
        var writer = MessageWriter(capacity: min(limit, 512))
        var header = self.header
        header.questionCount = UInt16(clamping: questions.count)
        writer.header(header)
        for question in questions.prefix(Int(UInt16.max)) { writer.question(question) }
        let reserved = edns == nil ? 0 : EDNS.wireLength
        guard writer.count + reserved <= limit else { throw .tooLarge }
        var truncated = false
        /// Writes what fits of `section`; whether all of it did.
        func write(_ section: [ResourceRecord], _ count: inout UInt16) -> Bool {
            for record in section {
                let start = writer.count
                writer.record(record)
                if writer.count + reserved > limit || count == UInt16.max {
                    writer.rollback(to: start)
                    return false
                }
                count += 1
            }
            return true
        }
        header.answerCount = 0
        header.authorityCount = 0
        header.additionalCount = 0
        if !write(answers, &header.answerCount) || !write(authorities, &header.authorityCount) {
            truncated = true
        } else {
            _ = write(additionals, &header.additionalCount)
        }
        if let edns {
            writer.u8(0)
            writer.u16(DNSType.opt.rawValue)
            writer.u16(UInt16(clamping: edns.udpPayloadSize))
            writer.u32(UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            writer.u16(0)
            header.additionalCount += 1
        }
        header.isTruncated = header.isTruncated || truncated
        writer.set16(header.flags, at: 2)
        writer.set16(header.answerCount, at: 6)
        writer.set16(header.authorityCount, at: 8)
        writer.set16(header.additionalCount, at: 10)
        return writer.bytes
    }
}
