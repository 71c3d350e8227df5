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
                    let name = question.name
                    return .reply(answer(query, names.map { ResourceRecord(name: name, ttl: Self.ttl, data: .ptr($0)) }))
                }
            }
        }
        // The answer records are built straight from the zone's addresses: one allocation for an
        // A or AAAA hit, which is most of what a responder answers.
        var records: [ResourceRecord] = []
        var found = false
        let name = question.name
        for position in scope {
            guard let host = host(name, at: position) else { continue }
            found = true
            if question.type == .a || question.type == .any {
                for address in host.v4 { records.append(ResourceRecord(name: name, ttl: Self.ttl, data: .a(address))) }
            } else if question.type == .aaaa {
                for address in host.v6 { records.append(ResourceRecord(name: name, ttl: Self.ttl, data: .aaaa(address))) }
            }
        }
        if found {
            // ANY: every A record, then every AAAA record.
            if question.type == .any {
                for position in scope {
                    for address in host(name, at: position)?.v6 ?? [] {
                        records.append(ResourceRecord(name: name, ttl: Self.ttl, data: .aaaa(address)))
                    }
                }
            }
            if records.isEmpty { return .reply(negative(query, .noError, scope: scope)) }
            Self.rotate(&records, by: rotation)
            return .reply(answer(query, records))
        }
        for position in scope where question.name.isSubdomain(of: networks[position].domain) {
            return .reply(negative(query, .nameError, scope: [position]))
        }
        return .forward(upstreams(for: scope))
    }

    private func answer(_ query: DNSMessage, _ records: [ResourceRecord]) -> DNSMessage {
        var reply = Self.response(to: query, .noError)
        reply.header.isAuthoritative = true
        reply.answers = records
        return reply
    }

    /// Turns `records` left by `rotation` places (round robin), in place.
    private static func rotate(_ records: inout [ResourceRecord], by rotation: Int) {
        let start = Int(UInt(bitPattern: rotation) % UInt(records.count))
        guard start != 0 else { return }
        records[..<start].reverse()
        records[start...].reverse()
        records.reverse()
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
