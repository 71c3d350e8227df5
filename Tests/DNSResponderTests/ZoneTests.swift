import Addressing
import CNI
import Identity
import DNSRecords
import DNSWire
import Testing
@testable import DNSResponder

func record(_ network: String, _ container: String, names: [String], addresses: [String], gateways: [String],
            upstreams: [String] = []) -> DNSRecord {
    DNSRecord(network: NetworkName(network)!,
              attachment: Attachment(containerID: ContainerID(container)!, interface: InterfaceName("eth0")!),
              domain: "dns.podman", names: names, addresses: addresses.map { IPAddress($0)! },
              gateways: gateways.map { IPAddress($0)! }, upstreams: upstreams.map { DNSUpstream($0)! })
}

func ask(_ zone: Zone, _ name: String, _ type: DNSType, from client: String, at server: String,
         rotation: Int = 0) throws -> Resolution {
    var header = DNSHeader(id: 7)
    header.recursionDesired = true
    let query = DNSMessage(header: header, questions: [DNSQuestion(name: try DNSName(name), type: type)])
    return zone.resolve(query, client: IPAddress(client)!, server: IPAddress(server)!, rotation: rotation)
}

func answers(_ resolution: Resolution) -> [String] {
    guard case .reply(let message) = resolution else { return ["not a reply: \(resolution)"] }
    return message.answers.map {
        switch $0.data {
        case .a(let a): a.description
        case .aaaa(let a): a.description
        case .ptr(let name): name.description
        default: "?"
        }
    }
}

func rcode(_ resolution: Resolution) -> DNSRcode? {
    guard case .reply(let message) = resolution else { return nil }
    return message.header.rcode
}

@Suite struct ZoneAnswers {
    let zone = Zone(records: [
        record("app", "c1", names: ["web", "www"], addresses: ["10.88.0.2", "fd88::2"], gateways: ["10.88.0.1", "fd88::1"],
               upstreams: ["192.0.2.53"]),
        record("app", "c2", names: ["db"], addresses: ["10.88.0.3"], gateways: ["10.88.0.1", "fd88::1"]),
        record("app", "c3", names: ["web"], addresses: ["10.88.0.4"], gateways: ["10.88.0.1", "fd88::1"]),
        record("other", "c4", names: ["secret"], addresses: ["10.89.0.2"], gateways: ["10.89.0.1"]),
        record("other", "c5", names: ["both"], addresses: ["10.89.0.5"], gateways: ["10.89.0.1"]),
        record("app", "c5", names: ["both"], addresses: ["10.88.0.5"], gateways: ["10.88.0.1", "fd88::1"]),
    ], defaultUpstreams: [DNSUpstream("10.88.0.1")!, DNSUpstream("198.51.100.1")!])

    @Test func shortQualifiedAndAliasNamesIgnoringCase() throws {
        #expect(answers(try ask(zone, "db", .a, from: "10.88.0.2", at: "10.88.0.1")) == ["10.88.0.3"])
        #expect(answers(try ask(zone, "DB.dns.Podman", .a, from: "10.88.0.2", at: "10.88.0.1")) == ["10.88.0.3"])
        #expect(answers(try ask(zone, "www", .aaaa, from: "10.88.0.3", at: "fd88::1")) == ["fd88::2"])
        guard case .reply(let reply) = try ask(zone, "WWW", .a, from: "10.88.0.3", at: "10.88.0.1") else {
            Issue.record("no reply"); return
        }
        #expect(reply.header.isAuthoritative && reply.header.isResponse && reply.header.recursionDesired)
        #expect(reply.header.id == 7 && reply.answers[0].name.description == "WWW")
    }

    @Test func sharedNamesAnswerEveryAddressInTurn() throws {
        let first = answers(try ask(zone, "web", .a, from: "10.88.0.3", at: "10.88.0.1", rotation: 0))
        let second = answers(try ask(zone, "web", .a, from: "10.88.0.3", at: "10.88.0.1", rotation: 1))
        #expect(first == ["10.88.0.2", "10.88.0.4"] && second == ["10.88.0.4", "10.88.0.2"])
    }

    @Test func ptrForContainerAddresses() throws {
        #expect(answers(try ask(zone, "2.0.88.10.in-addr.arpa", .ptr, from: "10.88.0.3", at: "10.88.0.1"))
                == ["web.dns.podman", "www.dns.podman"])
        let v6 = "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.8.d.f.ip6.arpa"
        #expect(answers(try ask(zone, v6, .ptr, from: "10.88.0.3", at: "fd88::1")) == ["web.dns.podman", "www.dns.podman"])
    }

    @Test func unknownNamesUnderTheDomainAreNXDOMAINWithSOA() throws {
        let resolution = try ask(zone, "nobody.dns.podman", .a, from: "10.88.0.2", at: "10.88.0.1")
        #expect(rcode(resolution) == .nameError)
        guard case .reply(let reply) = resolution else { return }
        #expect(reply.authorities.first?.type == .soa)
        // A name that exists but has no address of the asked type: NOERROR, no answer.
        #expect(rcode(try ask(zone, "db", .aaaa, from: "10.88.0.2", at: "10.88.0.1")) == .noError)
        #expect(answers(try ask(zone, "db", .aaaa, from: "10.88.0.2", at: "10.88.0.1")).isEmpty)
    }

    @Test func networksDoNotSeeEachOthersNames() throws {
        #expect(rcode(try ask(zone, "secret.dns.podman", .a, from: "10.88.0.2", at: "10.88.0.1")) == .nameError)
        // Even when a container of app asks at other's gateway.
        #expect(rcode(try ask(zone, "secret.dns.podman", .a, from: "10.88.0.2", at: "10.89.0.1")) == .nameError)
        #expect(answers(try ask(zone, "secret", .a, from: "10.89.0.5", at: "10.89.0.1")) == ["10.89.0.2"])
    }

    @Test func aContainerOnTwoNetworksSeesBothWhicheverGatewayItAsks() throws {
        // c5 is 10.89.0.5 on other and 10.88.0.5 on app.
        #expect(answers(try ask(zone, "secret", .a, from: "10.88.0.5", at: "10.88.0.1")) == ["10.89.0.2"])
        #expect(answers(try ask(zone, "db", .a, from: "10.89.0.5", at: "10.89.0.1")) == ["10.88.0.3"])
        #expect(answers(try ask(zone, "both", .a, from: "10.89.0.5", at: "10.89.0.1")) == ["10.89.0.5", "10.88.0.5"])
    }

    @Test func anUnknownClientSeesTheGatewaysNetworks() throws {
        #expect(answers(try ask(zone, "db", .a, from: "10.88.0.200", at: "10.88.0.1")) == ["10.88.0.3"])
        #expect(answers(try ask(zone, "secret", .a, from: "10.88.0.200", at: "10.89.0.1")) == ["10.89.0.2"])
        #expect(rcode(try ask(zone, "secret.dns.podman", .a, from: "10.88.0.200", at: "10.88.0.1")) == .nameError)
    }

    @Test func otherNamesAreForwarded() throws {
        // app names an upstream; other does not, so the host's go, without our own gateway.
        #expect(try ask(zone, "example.com", .mx, from: "10.88.0.2", at: "10.88.0.1") == .forward([DNSUpstream("192.0.2.53")!]))
        #expect(try ask(zone, "example.com", .a, from: "10.89.0.2", at: "10.89.0.1") == .forward([DNSUpstream("198.51.100.1")!]))
        #expect(try ask(zone, "web", .txt, from: "10.88.0.3", at: "10.88.0.1") != .forward([DNSUpstream("192.0.2.53")!]))
    }

    @Test func listensOnGatewaysOnly() {
        #expect(zone.listenAddresses == Set(["10.88.0.1", "fd88::1", "10.89.0.1"].map { IPAddress($0)! }))
    }

    @Test func badQueries() throws {
        var header = DNSHeader(id: 3)
        #expect(zone.resolve(DNSMessage(header: header), client: IPAddress("10.88.0.2")!, server: IPAddress("10.88.0.1")!,
                             rotation: 0) == .reply(Zone.error(.formatError, to: DNSMessage(header: header))))
        header.isResponse = true
        #expect(zone.resolve(DNSMessage(header: header), client: IPAddress("10.88.0.2")!, server: IPAddress("10.88.0.1")!,
                             rotation: 0) == .drop)
        let formerr = try #require(Zone.formatError(forUnparsable: [0xAB, 0xCD, 0x01, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0]))
        let parsed = try DNSMessage(parsing: formerr)
        #expect(parsed.header.id == 0xABCD && parsed.header.rcode == .formatError && parsed.header.recursionDesired)
        #expect(Zone.formatError(forUnparsable: [1, 2, 3]) == nil)
    }

    @Test func invalidNamesInTheStoreAreSkipped() {
        let zone = Zone(records: [record("app", "c1", names: [String(repeating: "x", count: 64), "ok"],
                                         addresses: ["10.88.0.2"], gateways: ["10.88.0.1"])], defaultUpstreams: [])
        #expect(answers((try? ask(zone, "ok", .a, from: "10.88.0.2", at: "10.88.0.1")) ?? .drop) == ["10.88.0.2"])
    }
}

@Suite struct ZoneInsertion {
    let records = [
        record("app", "c1", names: ["web", "www"], addresses: ["10.88.0.2", "fd88::2"], gateways: ["10.88.0.1"]),
        record("app", "c2", names: ["web"], addresses: ["10.88.0.3"], gateways: ["10.88.0.1"]),
        record("other", "c3", names: ["secret"], addresses: ["10.89.0.2"], gateways: ["10.89.0.1"]),
    ]

    @Test func insertingNewAttachmentsAnswersAsBuildingAtOnce() throws {
        var zone = Zone(records: [], defaultUpstreams: [DNSUpstream("10.89.0.1")!, DNSUpstream("198.51.100.1")!])
        for record in records {
            let inserted = zone.insert(record)
            #expect(inserted)
        }
        let whole = Zone(records: records, defaultUpstreams: [DNSUpstream("10.89.0.1")!, DNSUpstream("198.51.100.1")!])
        for (name, client, server) in [("web", "10.88.0.2", "10.88.0.1"), ("www", "10.88.0.3", "10.88.0.1"),
                                       ("secret", "10.88.0.2", "10.88.0.1"), ("secret", "127.0.0.1", "10.89.0.1")] {
            #expect(try ask(zone, name, .a, from: client, at: server) == ask(whole, name, .a, from: client, at: server))
        }
        #expect(answers(try ask(zone, "web", .a, from: "10.88.0.2", at: "10.88.0.1")) == ["10.88.0.2", "10.88.0.3"])
        #expect(zone.listenAddresses == whole.listenAddresses)
        // A new gateway that is a host upstream stops being one.
        #expect(zone.upstreams(for: []) == [DNSUpstream("198.51.100.1")!])
    }

    @Test func aReplacedRecordOrASecondNetworkOfAContainerIsLeftToARebuild() {
        var zone = Zone(records: records, defaultUpstreams: [])
        let replaced = zone.insert(records[0])
        let secondNetwork = zone.insert(record("other", "c1", names: ["web"], addresses: ["10.89.0.9"], gateways: ["10.89.0.1"]))
        let new = zone.insert(record("other", "c4", names: ["new"], addresses: ["10.89.0.4"], gateways: ["10.89.0.1"]))
        #expect(!replaced && !secondNetwork && new)
    }
}

/// A store hosts share: records of every host, a host's own addresses deciding what it serves.
@Suite struct ZoneAcrossHosts {
    /// Routed mode: host A's gateway 10.90.1.1, host B's 10.90.2.1; "far" is served on host C only.
    let records = [
        record("ov", "a1", names: ["web"], addresses: ["10.90.1.2"], gateways: ["10.90.1.1"]),
        record("ov", "b1", names: ["db"], addresses: ["10.90.2.2"], gateways: ["10.90.2.1"]),
        record("far", "c1", names: ["secret"], addresses: ["10.91.3.2"], gateways: ["10.91.3.1"]),
    ]
    let hostB: Set<IPAddress> = [IPAddress("10.90.2.1")!, IPAddress("192.0.2.2")!]

    @Test func servesItsNetworksWithEveryHostsNamesAndListensOnlyOnItsOwnGateways() throws {
        let zone = Zone(records: records, defaultUpstreams: [], hostAddresses: hostB)
        #expect(zone.listenAddresses == [IPAddress("10.90.2.1")!])
        #expect(zone.serves("ov") && !zone.serves("far"))
        #expect(answers(try ask(zone, "web", .a, from: "10.90.2.2", at: "10.90.2.1")) == ["10.90.1.2"])
        // An unknown client asking B's gateway sees B's network; nobody here sees "far".
        #expect(answers(try ask(zone, "web", .a, from: "192.0.2.9", at: "10.90.2.1")) == ["10.90.1.2"])
        #expect(try ask(zone, "secret", .a, from: "10.90.2.2", at: "10.90.2.1") == .forward([]))
    }

    @Test func buildingReadsRecordsOnceInAnyOrder() throws {
        let whole = Zone(records: records, defaultUpstreams: [], hostAddresses: hostB)
        // Another host's records of a network before and after this host's first one, other networks between.
        let orders = [[records[2], records[0], records[1]], [records[1], records[2], records[0]]]
        for order in orders {
            var builder = Zone.Builder(defaultUpstreams: [], hostAddresses: hostB)
            for record in order { builder.add(record) }
            let zone = builder.zone()
            #expect(zone.listenAddresses == whole.listenAddresses && zone.serves("ov") && !zone.serves("far"))
            #expect(zone.recordCount == 2)
            for (name, client) in [("web", "10.90.2.2"), ("db", "10.90.2.2"), ("web", "192.0.2.9"), ("secret", "10.90.2.2")] {
                #expect(try ask(zone, name, .a, from: client, at: "10.90.2.1") == ask(whole, name, .a, from: client, at: "10.90.2.1"))
            }
        }
    }

    @Test func insertingMatchesBuildingAndASkippedNetworkBecomingLocalIsRebuilt() throws {
        // Another host's record of a network not served yet is skipped, so this host's first record
        // of it asks for a rebuild; this host's first, then the others', insert.
        var skipped = Zone(records: [], defaultUpstreams: [], hostAddresses: hostB)
        let remoteFirst = skipped.insert(records[0])
        let localAfter = skipped.insert(records[1])
        #expect(remoteFirst && !localAfter)
        var zone = Zone(records: [], defaultUpstreams: [], hostAddresses: hostB)
        for record in [records[1], records[0], records[2]] {
            let inserted = zone.insert(record)
            #expect(inserted)
        }
        let whole = Zone(records: records, defaultUpstreams: [], hostAddresses: hostB)
        #expect(zone.listenAddresses == whole.listenAddresses && !zone.serves("far"))
        #expect(try ask(zone, "web", .a, from: "10.90.2.2", at: "10.90.2.1") == ask(whole, "web", .a, from: "10.90.2.2", at: "10.90.2.1"))
        // "far" gets a gateway on this host: its skipped records must be read again.
        var grown = Zone(records: records, defaultUpstreams: [], hostAddresses: hostB.union([IPAddress("10.91.9.1")!]))
        let near = grown.insert(record("far", "b2", names: ["near"], addresses: ["10.91.9.2"], gateways: ["10.91.9.1"]))
        #expect(!near)
        #expect(!zone.knowsGateways(of: records[2]) && zone.knowsGateways(of: records[1]))
    }
}

@Suite struct ZoneRemoval {
    let records = ZoneInsertion().records + [
        record("app", "c4", names: ["db"], addresses: ["10.88.0.4"], gateways: ["10.88.0.1"]),
    ]

    @Test func removingAnAttachmentAnswersAsBuildingWithoutIt() throws {
        var zone = Zone(records: records, defaultUpstreams: [])
        let removed = zone.remove(records[0].owner)
        #expect(removed)
        let rest = Array(records.dropFirst())
        let whole = Zone(records: rest, defaultUpstreams: [])
        for (name, type, client) in [("web", DNSType.a, "10.88.0.3"), ("www", .a, "10.88.0.3"), ("web", .aaaa, "10.88.0.3"),
                                     ("db", .a, "10.88.0.2"), ("2.0.88.10.in-addr.arpa", .ptr, "10.88.0.3")] {
            #expect(try ask(zone, name, type, from: client, at: "10.88.0.1") == ask(whole, name, type, from: client, at: "10.88.0.1"))
        }
        #expect(answers(try ask(zone, "web", .a, from: "10.88.0.3", at: "10.88.0.1")) == ["10.88.0.3"])
        #expect(zone.recordCount == rest.count)
        // Removed, it can come back by insertion.
        let inserted = zone.insert(records[0])
        #expect(inserted)
        #expect(answers(try ask(zone, "web", .a, from: "10.88.0.2", at: "10.88.0.1")).sorted() == ["10.88.0.2", "10.88.0.3"])
    }

    @Test func aNetworksLastRecordOrAnUnknownOneIsLeftToARebuild() {
        var zone = Zone(records: records, defaultUpstreams: [])
        let last = zone.remove(records[2].owner)
        let unknown = zone.remove(record("app", "c9", names: [], addresses: [], gateways: []).owner)
        // Two addresses of one family are not kept for removal.
        let twoV4 = record("app", "c6", names: ["two"], addresses: ["10.88.0.6", "10.88.0.7"], gateways: ["10.88.0.1"])
        var withTwo = Zone(records: records + [twoV4], defaultUpstreams: [])
        let manyAddresses = withTwo.remove(twoV4.owner)
        let twoNetworks = Zone(records: [records[0], record("other", "c1", names: ["web"], addresses: ["10.89.0.9"], gateways: ["10.89.0.1"]),
                                         records[1], records[2]], defaultUpstreams: [])
        var shared = twoNetworks
        let sharedContainer = shared.remove(records[0].owner)
        #expect(!last && !unknown && !sharedContainer && !manyAddresses)
    }
}
