import Addressing
import DNSRecords
import DNSWire

/// What to do with one query.
public enum Resolution: Equatable, Sendable {
    /// Send this reply.
    case reply(DNSMessage)
    /// Ask these upstreams in order; the reply is theirs.
    case forward([DNSUpstream])
    /// Send nothing: a response, or too little of a header to reply to.
    case drop
}

extension Zone {
    /// The TTL of our answers: short, because a name goes the moment DEL returns.
    public static let ttl: UInt32 = 5

    /// Decides a query received at `server` from `client`. Names under the domains the client sees
    /// are answered here, found or not (never forwarded); the rest is forwarded. `rotation` turns
    /// the order of several addresses for one name (round robin).
    public func resolve(_ query: DNSMessage, client: IPAddress, server: IPAddress, rotation: Int) -> Resolution {
        guard !query.header.isResponse else { return .drop }
        guard query.header.opcode == 0 else { return .reply(Self.error(.notImplemented, to: query)) }
        guard query.questions.count == 1, let question = query.questions.first else {
            return .reply(Self.error(.formatError, to: query))
        }
        let scope = scope(client: client, server: server)
        guard question.recordClass == DNSClass.internet || question.recordClass == 255 else {
            return .forward(upstreams(for: scope))
        }
        if question.type == .ptr, let address = ReverseName.address(question.name) {
            for position in scope {
                if let names = networks[position].reverse[address], !names.isEmpty {
                    return .reply(answer(query, names.map { .ptr($0) }, rotation: 0))
                }
            }
        }
        var v4: [IPv4Address] = []
        var v6: [IPv6Address] = []
        var found = false
        for position in scope {
            guard let host = host(question.name, at: position) else { continue }
            found = true
            v4 += host.v4
            v6 += host.v6
        }
        if found {
            var data: [RecordData] = []
            if question.type == .a || question.type == .any { data += v4.map { .a($0) } }
            if question.type == .aaaa || question.type == .any { data += v6.map { .aaaa($0) } }
            if data.isEmpty { return .reply(negative(query, .noError, scope: scope)) }
            return .reply(answer(query, data, rotation: rotation))
        }
        for position in scope where question.name.isSubdomain(of: networks[position].domain) {
            return .reply(negative(query, .nameError, scope: [position]))
        }
        return .forward(upstreams(for: scope))
    }

    private func answer(_ query: DNSMessage, _ data: [RecordData], rotation: Int) -> DNSMessage {
        var reply = Self.response(to: query, .noError)
        reply.header.isAuthoritative = true
        let name = query.questions[0].name
        let start = data.isEmpty ? 0 : rotation % data.count
        reply.answers = (data[start...] + data[..<start]).map { ResourceRecord(name: name, ttl: Self.ttl, data: $0) }
        return reply
    }

    /// NXDOMAIN, or NOERROR without answers, with the SOA of the first network's domain (RFC 2308).
    private func negative(_ query: DNSMessage, _ rcode: DNSRcode, scope: [Int]) -> DNSMessage {
        var reply = Self.response(to: query, rcode)
        reply.header.isAuthoritative = true
        if let position = scope.first {
            let domain = networks[position].domain
            let soa = SOAData(primary: (try? DNSName(labels: [Array("ns".utf8)] + domain.labels)) ?? domain,
                              mailbox: (try? DNSName(labels: [Array("hostmaster".utf8)] + domain.labels)) ?? domain,
                              serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: Self.ttl)
            reply.authorities = [ResourceRecord(name: domain, ttl: Self.ttl, data: .soa(soa))]
        }
        return reply
    }

    /// A reply carrying only `rcode`, echoing the question.
    public static func error(_ rcode: DNSRcode, to query: DNSMessage) -> DNSMessage {
        response(to: query, rcode)
    }

    static func response(to query: DNSMessage, _ rcode: DNSRcode) -> DNSMessage {
        var header = DNSHeader(id: query.header.id, flags: query.header.flags & 0x7900)  // opcode, RD
        header.isResponse = true
        header.recursionAvailable = true
        header.rcode = rcode
        return DNSMessage(header: header, questions: query.questions,
                          edns: query.edns.map { _ in EDNS(udpPayloadSize: Zone.udpPayloadSize) })
    }

    /// The UDP payload we advertise and accept: the DNS flag day 2020 size, which avoids fragments.
    public static let udpPayloadSize = 1232
}

extension Zone {
    /// The largest reply to `query` over UDP: what its OPT record allows, up to our own size, or 512.
    public static func udpLimit(for query: DNSMessage) -> Int {
        query.edns.map { min($0.udpPayloadSize, udpPayloadSize) } ?? DNSMessage.classicUDPSize
    }

    /// FORMERR for a query that did not parse, if it has a whole header and is not a response:
    /// the header alone, with the client's ID.
    public static func formatError(forUnparsable bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= DNSHeader.length, bytes[2] & 0x80 == 0 else { return nil }
        var header = DNSHeader(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), flags: UInt16(bytes[2] & 0x79) << 8)
        header.isResponse = true
        header.rcode = .formatError
        return try? DNSMessage(header: header).encoded()
    }
}
