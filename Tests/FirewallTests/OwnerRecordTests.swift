import Addressing
import Identity
import Testing
@testable import Firewall

@Suite struct OwnerRecordTests {
    let owner = FirewallOwner(role: .portmap, network: "mynet", containerID: String(repeating: "f", count: 64),
                              interface: "eth0")!

    func forwards(_ count: Int) -> [FirewallEntry] {
        let host: IPAddress? = IPAddress("192.0.2.7")
        let container = IPAddress("10.1.2.3")!
        return (0..<count).map { (i: Int) -> FirewallEntry in
            let forward = PortForward(hostAddress: i.isMultiple(of: 2) ? nil : host, proto: .udp,
                                      hostPort: UInt16(10000 + i), container: container, containerPort: UInt16(i + 1))
            return .publish(forward!)
        }
    }

    @Test func aRecordReadsBackAsWritten() throws {
        let entries: [FirewallEntry] = [
            .sameNetwork(InterfaceAddress("10.1.2.3/24")!), .masquerade(IPAddress("10.1.2.3")!),
            .isolate(IPAddress("fd00::3")!), .spoofCheck(port: InterfaceName("veth0123")!, mac: MACAddress("02:00:00:00:00:01")!),
            .masqueradePublished(source: Subnet("127.0.0.0/8")!, container: IPAddress("10.1.2.3")!),
            .tunnelSources(port: InterfaceName("vxlan4093")!, network: Subnet("10.96.0.0/16")!),
        ] + forwards(3)
        let chunks = try OwnerRecord(owner: owner, entries: entries).elements()
        #expect(chunks.count == 1)
        #expect(try OwnerRecord(chunks: chunks.map(\.userData)) == OwnerRecord(owner: owner, entries: entries))
    }

    @Test func manyEntriesSpanChunksThatEachFitAnElementsUserData() throws {
        let record = OwnerRecord(owner: owner, entries: forwards(60))
        let chunks = try record.elements()
        #expect(chunks.count > 1)
        #expect(chunks.allSatisfy { $0.userData.count <= UserData.maximumLength && $0.key.count == 16 })
        #expect(Set(chunks.map(\.key)).count == chunks.count)
        #expect(OwnerRecord.chunkCount(userData: chunks[0].userData) == chunks.count)
        #expect(try OwnerRecord(chunks: chunks.map(\.userData)) == record)
    }

    @Test func chunksOutOfOrderAreRefused() throws {
        let chunks = try OwnerRecord(owner: owner, entries: forwards(60)).elements().map(\.userData)
        #expect(throws: FirewallError.self) { try OwnerRecord(chunks: Array(chunks.reversed())) }
    }

    @Test func ownerTextRoundTripsAndRejectsWhatItCannotParse() {
        #expect(FirewallOwner(text: owner.text) == owner)
        let combining = FirewallOwner(role: .bridge, network: "n", containerID: "c", interface: "\u{301}h0")!
        #expect(FirewallOwner(text: combining.text) == combining)
        #expect(FirewallOwner(text: "portmap a/b") == nil)
        #expect(FirewallOwner(text: "Router a/b/c") == nil)
        #expect(FirewallOwner(role: .bridge, network: "a/b", containerID: "c", interface: "eth0") == nil)
        #expect(FirewallOwner(role: .bridge, network: "n", containerID: String(repeating: "x", count: 200),
                              interface: "eth0") == nil)
    }

    @Test func recordKeysAreNULTerminatedNamesThatDifferPerOwnerAndChunk() {
        let other = FirewallOwner(role: .bridge, attachment: AttachmentID(network: owner.attachment.network, containerID: owner.attachment.containerID, interface: InterfaceName("eth0")!))
        #expect(owner.recordKey(chunk: 0).last == 0 && owner.recordKey(chunk: 0).count == 16)
        #expect(owner.recordKey(chunk: 0) != other.recordKey(chunk: 0))
        #expect(owner.recordKey(chunk: 0) != owner.recordKey(chunk: 1))
    }
}

@Suite struct FieldTypeTests {
    /// The datatype numbers `nft` itself sends for these keys (seen with `nft --debug=mnl`).
    @Test func concatenatedTypesAreComposedAsNftablesDoes() {
        #expect([FieldType.ipv4, .inetProtocol, .inetService].nftType == 0x730d)
        #expect([FieldType.ipv4, .ipv4].nftType == 0x1c7)
        #expect([FieldType.ipv4, .inetProtocol, .inetService].byteLength == 12)
        #expect([FieldType.interfaceName].byteLength == 16)
        #expect([FieldType.inetProtocol, .inetService].byteLength == 8)
    }

    @Test func portKeysArePaddedToWholeRegisters() {
        let element = FirewallEntry.publish(PortForward(hostAddress: nil, proto: .tcp, hostPort: 8080,
                                                        container: IPAddress("10.0.0.2")!, containerPort: 80)!).elements[0]
        #expect(element.key == [6, 0, 0, 0, 0x1f, 0x90, 0, 0])
        #expect(element.value == [10, 0, 0, 2, 0, 80, 0, 0])
    }
}
