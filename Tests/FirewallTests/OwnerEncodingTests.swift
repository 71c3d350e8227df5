import Addressing
import Testing
@testable import Firewall

/// The forms an owner takes in the kernel: element comments, record keys and record user data.
/// Hosts keep them across upgrades (DEL and GC read what any earlier build wrote), so these tests
/// pin the bytes, computed by hand from the layout each type documents.
@Suite struct OwnerEncodingTests {
    let owner = FirewallOwner(role: .portmap, network: "mynet", containerID: "c0ffee", interface: "eth0")!

    @Test func theTextIsRoleThenNetworkContainerAndInterface() {
        #expect(owner.text == "portmap mynet/c0ffee/eth0")
        #expect(FirewallOwner(role: .bridge, network: "mynet", containerID: "c0ffee", interface: "eth0")?.text
            == "bridge mynet/c0ffee/eth0")
    }

    @Test func everyElementCommentIsTheTextAsANULTerminatedTLV() {
        #expect(OwnerRecord.comment(owner) == [0, 26] + Array("portmap mynet/c0ffee/eth0".utf8) + [0])
    }

    /// 14 hex digits of the low 56 bits of FNV-1a 64 of the text, the chunk's digit, NUL.
    @Test func recordKeysAreTheFNVHashOfTheText() {
        #expect(owner.recordKey(chunk: 0) == Array("7a33e1a3eefb210".utf8) + [0])
        #expect(owner.recordKey(chunk: 35) == Array("7a33e1a3eefb21z".utf8) + [0])
        let bridge = FirewallOwner(role: .bridge, network: "mynet", containerID: "c0ffee", interface: "eth0")!
        #expect(bridge.recordKey(chunk: 0) == Array("47c65e090d0a110".utf8) + [0])
    }

    @Test func aRecordIsTheCommentThenVersionChunkCountAndTheEncodedEntries() throws {
        let container = IPAddress("10.1.2.3")!
        let entries: [FirewallEntry] = [
            .masquerade(container),
            .publish(PortForward(hostAddress: nil, proto: .udp, hostPort: 5353, container: container, containerPort: 53)!),
        ]
        let chunks = try OwnerRecord(owner: owner, entries: entries).elements()
        try #require(chunks.count == 1)
        #expect(chunks[0].key == owner.recordKey(chunk: 0))
        let body: [UInt8] = [1, 0, 1,                                   // version, chunk 0 of 1
                             2, 4, 10, 1, 2, 3,                         // masquerade 10.1.2.3
                             5, 17, 0x14, 0xe9, 0, 53, 0, 4, 10, 1, 2, 3]  // udp 5353 on any -> 10.1.2.3:53
        #expect(chunks[0].userData == OwnerRecord.comment(owner) + [0xc5, UInt8(body.count)] + body)
    }

    @Test func userDataThatIsNoRecordOfOursIsRecognisedAsSuch() throws {
        let comment = OwnerRecord.comment(owner)
        #expect(OwnerRecord.chunkCount(userData: comment) == nil)
        #expect(OwnerRecord.chunkCount(userData: comment + [0xc5, 3, 2, 0, 1]) == nil)  // another version
        #expect(OwnerRecord.chunkCount(userData: comment + [0xc5, 3, 1, 1, 2]) == nil)  // not chunk 0
        #expect(OwnerRecord.chunkCount(userData: [0, 200, 1]) == nil)                 // truncated TLV
        #expect(throws: FirewallError.self) { try OwnerRecord(chunks: [comment + [0xc5, 4, 1, 0, 1, 99]]) }
        #expect(throws: FirewallError.self) { try OwnerRecord(chunks: [[0, 5] + Array("junk".utf8) + [0]]) }
    }

    @Test func aRecordTooLargeForItsChunksIsRefused() {
        let forwards = (0..<2000).map { i in
            FirewallEntry.publish(PortForward(hostAddress: nil, proto: .tcp, hostPort: UInt16(1 + i),
                                              container: IPAddress("10.1.2.3")!, containerPort: 80)!)
        }
        #expect(throws: FirewallError.self) { try OwnerRecord(owner: owner, entries: forwards).elements() }
    }
}
