import Addressing
import Identity
import KVMemory
import Testing
@testable import DNSRecords

@Suite struct DNSRecordStoreTests {
    private let net = NetworkName("appnet")!
    private let other = NetworkName("other.net")!

    private func attachment(_ id: String, _ interface: String = "eth0") -> Identity.Attachment {
        Identity.Attachment(containerID: ContainerID(id)!, interface: InterfaceName(interface)!)
    }

    private func record(_ network: NetworkName, _ id: String, names: [String] = ["web"],
                        _ addresses: String...) -> DNSRecord {
        DNSRecord(network: network, attachment: attachment(id), domain: "dns.podman", names: names,
                  addresses: addresses.map { IPAddress($0)! }, gateways: [IPAddress("10.250.1.1")!],
                  upstreams: [DNSUpstream("127.0.0.53")!])
    }

    @Test func readsBackWhatWasPutByNetworkOrAttachmentOrAll() throws {
        let store = MemoryStore()
        let records = DNSRecordStore(store: store)
        let b = record(net, "b", "10.250.1.3", "fd00:250::3")
        let a = record(net, "a", names: ["db", "alias"], "10.250.1.2")
        let c = record(other, "c", names: [], "10.250.2.2")
        let revisions = try [b, a, c].map { try records.put($0) }

        #expect(revisions == [1, 2, 3])
        #expect(try records.records(on: net) == [a, b])
        #expect(try records.records(on: NetworkName("empty")!) == [])
        #expect(try records.record(of: attachment("a"), on: net) == a)
        #expect(try records.record(of: attachment("a"), on: other) == nil)
        let all = try records.all()
        #expect(all.records == [a, b, c])
        #expect(all.revision == 3)
        var paged: [DNSRecord] = []
        #expect(try records.all(pageSize: 2) { paged.append($0) } == 3)
        #expect(paged == [a, b, c])
    }

    @Test func putReplacesTheAttachmentsRecord() throws {
        let records = DNSRecordStore(store: MemoryStore())
        try records.put(record(net, "a", "10.250.1.2"))
        let replaced = record(net, "a", names: ["new"], "10.250.1.9")
        try records.put(replaced)
        #expect(try records.records(on: net) == [replaced])
    }

    @Test func removeTakesExactlyThatAttachmentAndIsIdempotent() throws {
        let records = DNSRecordStore(store: MemoryStore())
        try records.put(record(net, "a", "10.250.1.2"))
        let kept = DNSRecord(network: net, attachment: attachment("a", "eth1"), domain: "dns.podman", names: ["x"],
                             addresses: [IPAddress("10.250.1.5")!], gateways: [], upstreams: [])
        try records.put(kept)

        let first = try records.remove(attachment("a"), on: net)
        #expect(first.removed && first.revision == 3)
        let again = try records.remove(attachment("a"), on: net)
        #expect(!again.removed && again.revision == 3)
        #expect(try records.records(on: net) == [kept])
    }

    @Test func removeAllKeepsOnlyTheValidAttachmentsOfThatNetwork() throws {
        let records = DNSRecordStore(store: MemoryStore())
        let a = record(net, "a", "10.250.1.2"), b = record(net, "b", "10.250.1.3"), c = record(other, "c", "10.250.2.2")
        for r in [a, b, record(net, "stale", "10.250.1.4"), c] { try records.put(r) }

        let gc = try records.removeAll(on: net, except: [attachment("a"), attachment("b"), attachment("c")])
        #expect(gc.removed == 1 && gc.revision == 5)
        #expect(try records.all().records == [a, b, c])
        #expect(try records.removeAll(on: net, except: [attachment("a"), attachment("b")]).removed == 0)
    }

    @Test func skipsKeysAndValuesOfAnotherShape() throws {
        let store = MemoryStore()
        try store.put("dns/appnet/a", "no interface")
        try store.put("dns/appnet/b/eth0", "not json")
        try store.put("dnsx/appnet/c/eth0", "{}")
        let good = record(net, "d", "10.250.1.2")
        let records = DNSRecordStore(store: store)
        try records.put(good)
        #expect(try records.all().records == [good])
        var paged: [DNSRecord] = []
        try records.all(pageSize: 1) { paged.append($0) }
        #expect(paged == [good])
        #expect(try records.record(of: attachment("b"), on: net) == nil)
    }

    @Test func storesOneJSONValuePerAttachmentKey() throws {
        let store = MemoryStore()
        try DNSRecordStore(store: store).put(record(net, "a", "10.250.1.2", "fd00::2"))
        let kv = try #require(try store.get("dns/appnet/a/eth0"))
        #expect(kv.string == #"{"addresses":["10.250.1.2","fd00::2"],"domain":"dns.podman","gateways":["10.250.1.1"],"names":["web"],"upstreams":["127.0.0.53"]}"#)
        #expect(DNSRecordStore.prefix == "dns/")
    }
}

extension DNSRecordStoreTests {
    @Test func theKeyIsTheOwnersCanonicalText() throws {
        let store = MemoryStore()
        let owner = AttachmentID(network: net, attachment: attachment("a", "eth1"))
        let record = DNSRecord(owner: owner, domain: "dns.podman", names: [], addresses: [IPAddress("10.250.1.2")!],
                               gateways: [], upstreams: [])
        try DNSRecordStore(store: store).put(record)
        #expect(try store.get("dns/\(owner.text)") != nil)
        #expect(try DNSRecordStore(store: store).record(of: owner) == record)
        #expect(try DNSRecordStore(store: store).remove(owner).removed)
    }
}
