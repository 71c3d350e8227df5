import Addressing
import Testing
@testable import DNSWire

/// A query for `name`/`type` as a stub resolver sends it, optionally with an OPT record.
func query(_ name: String, _ type: DNSType, id: UInt16 = 0x1234, udpSize: Int? = nil) throws -> [UInt8] {
    var header = DNSHeader(id: id)
    header.recursionDesired = true
    return try DNSMessage(header: header, questions: [DNSQuestion(name: try DNSName(name), type: type)],
                          edns: udpSize.map { EDNS(udpPayloadSize: $0) }).encoded()
}

@Suite struct Names {
    @Test func textAndCaseInsensitiveEquality() throws {
        let name = try DNSName("Web.DNS.podman.")
        #expect(name.description == "Web.DNS.podman")
        #expect(name == (try DNSName("web.dns.PODMAN")))
        #expect(name.hashValue == (try DNSName("web.dns.podman")).hashValue)
        #expect(name.isSubdomain(of: try DNSName("dns.podman")))
        #expect(!(try DNSName("dns.podman")).isSubdomain(of: name))
        #expect(name.wireLength == 16)
        #expect(try DNSName(".") == .root)
    }

    @Test func limits() throws {
        #expect(throws: DNSWireError.badLabel) { try DNSName(String(repeating: "a", count: 64)) }
        #expect(throws: DNSWireError.badLabel) { try DNSName("a..b") }
        _ = try DNSName(String(repeating: "a", count: 63))
        let label = String(repeating: "a", count: 63)
        // 4 × 64 + 1 = 257 octets: over; 3 × 64 + 62 + 1 = 255: at the limit.
        #expect(throws: DNSWireError.nameTooLong) { try DNSName([label, label, label, label].joined(separator: ".")) }
        _ = try DNSName([label, label, label, String(repeating: "b", count: 61)].joined(separator: "."))
    }
}

@Suite struct Parsing {
    @Test func queryRoundTrips() throws {
        let bytes = try query("web.dns.podman", .a, udpSize: 1232)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.header.id == 0x1234)
        #expect(message.header.recursionDesired)
        #expect(!message.header.isResponse)
        #expect(message.questions == [DNSQuestion(name: try DNSName("web.dns.podman"), type: .a)])
        #expect(message.edns?.udpPayloadSize == 1232)
        #expect(try message.encoded() == bytes)
    }

    @Test func recordsRoundTripWithCompression() throws {
        let name = try DNSName("web.dns.podman")
        let soa = SOAData(primary: try DNSName("ns.dns.podman"), mailbox: try DNSName("hostmaster.dns.podman"),
                          serial: 7, refresh: 60, retry: 60, expire: 600, minimum: 30)
        var header = DNSHeader(id: 9)
        header.isResponse = true
        header.isAuthoritative = true
        header.rcode = .nameError
        let message = DNSMessage(
            header: header, questions: [DNSQuestion(name: name, type: .any)],
            answers: [ResourceRecord(name: name, ttl: 60, data: .a(IPv4Address(10, 88, 0, 2))),
                      ResourceRecord(name: name, ttl: 60, data: .aaaa(IPv6Address("fd00::2")!)),
                      ResourceRecord(name: try DNSName("2.0.88.10.in-addr.arpa"), ttl: 60, data: .ptr(name)),
                      ResourceRecord(name: name, ttl: 60, data: .opaque(.txt, [3, 0x61, 0x62, 0x63]))],
            authorities: [ResourceRecord(name: try DNSName("dns.podman"), ttl: 30, data: .soa(soa))])
        let bytes = try message.encoded()
        // Every later "web.dns.podman" is a 2-octet pointer to the question's.
        #expect(bytes[12 + 16 + 4] == 0xC0 && bytes[12 + 16 + 5] == 12)
        var expected = message
        expected.header.questionCount = 1
        expected.header.answerCount = 4
        expected.header.authorityCount = 1
        #expect(try DNSMessage(parsing: bytes) == expected)
        #expect(try DNSMessage(parsing: bytes).header.rcode == .nameError)
    }

    @Test func namesAreCaseInsensitiveForCompressionButKeepTheirCase() throws {
        let message = DNSMessage(header: DNSHeader(id: 1),
                                 questions: [DNSQuestion(name: try DNSName("WEB.dns.podman"), type: .a)],
                                 answers: [ResourceRecord(name: try DNSName("WEB.dns.podman"), ttl: 1,
                                                          data: .a(IPv4Address(1, 2, 3, 4)))])
        let parsed = try DNSMessage(parsing: try message.encoded())
        #expect(parsed.answers[0].name.labels[0] == Array("WEB".utf8))
    }

    /// Each malformed message ends in its typed error.
    @Test(arguments: [
        ([0x12, 0x34, 0, 0], DNSWireError.truncated("header")),
        // One question claimed, name cut inside its label.
        ([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0x61, 0x62, 0x63, 0x64, 0x65], .truncated("name")),
        // A pointer to itself: a loop.
        ([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1], .badPointer),
        // A pointer forwards.
        ([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0, 1, 0, 1, 0], .badPointer),
        // Label type 0x40 and 0x80.
        ([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1], .badLabel),
        ([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 1, 0, 1], .badLabel),
        // 65535 questions in an 18-octet message.
        ([0, 1, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0], .badCount),
        // 65535 additional records.
        ([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], .badCount),
        // An A record of 5 octets.
        ([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5], .badRecordData),
        // Record data longer than the message.
        ([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4], .truncated("record data")),
        // OPT in the answer section.
        ([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0], .badOPT),
    ] as [([UInt8], DNSWireError)])
    func malformedMessages(bytes: [UInt8], error: DNSWireError) {
        #expect(throws: error) { try DNSMessage(parsing: bytes) }
    }

    @Test func twoOPTRecordsAreRefused() {
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        let bytes: [UInt8] = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] + opt + opt
        #expect(throws: DNSWireError.badOPT) { try DNSMessage(parsing: bytes) }
    }

    @Test func zeroQuestionsParse() throws {
        // Whether a message without a question is answered is the responder's decision (FORMERR).
        #expect(try DNSMessage(parsing: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).questions.isEmpty)
    }

    /// A chain of links, each a label then a pointer to the previous link, read from its last link.
    func readChain(links: Int, label: Int) -> Result<DNSName, DNSWireError> {
        var bytes: [UInt8] = Array(repeating: 0, count: 12) + [0]
        var previous = 12
        for _ in 0..<links {
            let here = bytes.count
            bytes += [UInt8(label)] + Array(repeating: 0x61, count: label) + [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            previous = here
        }
        var reader = MessageReader(bytes + [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)])
        reader.offset = bytes.count
        do throws(DNSWireError) { return .success(try reader.readName()) } catch { return .failure(error) }
    }

    @Test func pointerChainsAreBoundedByTheNameLength() throws {
        #expect(try readChain(links: 20, label: 10).get().labels.count == 20)
        #expect(readChain(links: 30, label: 10) == .failure(.nameTooLong))
        // One-octet labels: 127 labels fill 255 octets before the jump bound is what stops it.
        if case .success = readChain(links: 300, label: 1) { Issue.record("a 300-label chain parsed") }
    }

    @Test func everyTruncationOfAValidMessageThrows() throws {
        let name = try DNSName("web.dns.podman")
        let bytes = try DNSMessage(header: DNSHeader(id: 1), questions: [DNSQuestion(name: name, type: .a)],
                                   answers: [ResourceRecord(name: name, ttl: 5, data: .a(IPv4Address(1, 1, 1, 1)))],
                                   edns: EDNS(udpPayloadSize: 4096)).encoded()
        for length in 0..<bytes.count {
            #expect(throws: DNSWireError.self) { try DNSMessage(parsing: Array(bytes.prefix(length))) }
        }
    }
}

@Suite struct Truncation {
    func answer(aliases: Int) throws -> DNSMessage {
        var header = DNSHeader(id: 1)
        header.isResponse = true
        let name = try DNSName("web.dns.podman")
        let records = (0..<aliases).map {
            ResourceRecord(name: name, ttl: 5, data: .aaaa(IPv6Address(high: 0xFD00 << 48, low: UInt64($0))))
        }
        return DNSMessage(header: header, questions: [DNSQuestion(name: name, type: .aaaa)], answers: records)
    }

    @Test func answersBeyondTheLimitSetTC() throws {
        // Each AAAA record is 2 + 10 + 16 = 28 octets after the 32-octet header and question.
        let message = try answer(aliases: 40)
        let bytes = try message.encoded(limit: DNSMessage.classicUDPSize)
        #expect(bytes.count <= 512)
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed.header.isTruncated)
        #expect(parsed.answers.count == (512 - 32) / 28)
        let whole = try DNSMessage(parsing: try message.encoded())
        #expect(!whole.header.isTruncated && whole.answers.count == 40)
    }

    @Test func theOPTRecordIsKeptWithinTheLimit() throws {
        var message = try answer(aliases: 40)
        message.edns = EDNS(udpPayloadSize: 1232)
        let bytes = try message.encoded(limit: 512)
        #expect(bytes.count <= 512)
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed.header.isTruncated && parsed.edns?.udpPayloadSize == 1232)
        #expect(parsed.answers.count == (512 - 32 - 11) / 28)
    }

    @Test func compressionTargetsOfDroppedRecordsAreForgotten() throws {
        var header = DNSHeader(id: 1)
        header.isResponse = true
        let question = try DNSName("q.example")
        let long = try DNSName(String(repeating: "x", count: 60) + ".example")
        let message = DNSMessage(header: header, questions: [DNSQuestion(name: question, type: .ptr)],
                                 answers: [ResourceRecord(name: question, ttl: 1, data: .ptr(long))],
                                 additionals: [ResourceRecord(name: long, ttl: 1, data: .a(IPv4Address(1, 2, 3, 4)))])
        let full = try message.encoded()
        // A limit that fits the header and question only: the answer goes, and nothing may point into it.
        let cut = try message.encoded(limit: full.count - 30)
        let parsed = try DNSMessage(parsing: cut)
        #expect(parsed.header.isTruncated && parsed.answers.isEmpty && parsed.additionals.isEmpty)
    }

    @Test func aLimitBelowTheQuestionIsAnError() throws {
        #expect(throws: DNSWireError.tooLarge) { try answer(aliases: 1).encoded(limit: 20) }
    }
}
