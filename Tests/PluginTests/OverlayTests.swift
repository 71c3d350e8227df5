import Addressing
import Identity
import Overlay
import Testing

@Suite struct OverlayTests {
    static func record(_ host: String, vni: UInt32 = 5, mac: String, _ ips: String...) -> OverlayAttachment {
        OverlayAttachment(host: host, vtep: IPAddress("192.0.2.\(host.dropFirst())")!, vni: vni, mac: MACAddress(mac)!,
                          ips: ips.map { InterfaceAddress($0)! }, isolated: true)
    }

    @Test func peerEntriesAreTheOtherLiveHostsContainersOfTheVNI() {
        let records = [
            Self.record("h1", mac: "02:00:00:00:00:01", "10.0.0.2/24"),
            Self.record("h2", mac: "02:00:00:00:00:02", "10.0.0.3/24", "fd00::3/64"),
            Self.record("h3", mac: "02:00:00:00:00:03", "10.0.0.4/24"),
            Self.record("h2", vni: 6, mac: "02:00:00:00:00:04", "10.1.0.2/24"),
        ]
        let entries = PeerEntries(vni: 5, host: "h1", attachments: records, alive: ["h1", "h2"])
        #expect(entries.forwarding == [MACAddress("02:00:00:00:00:02")!: IPAddress("192.0.2.2")!])
        #expect(entries.neighbours == [IPAddress("10.0.0.3")!: MACAddress("02:00:00:00:00:02")!,
                                       IPAddress("fd00::3")!: MACAddress("02:00:00:00:00:02")!])
        #expect(PeerEntries(vni: 5, host: "h1", attachments: records).forwarding.count == 2)
        #expect(PeerEntries(vni: 7, host: "h1", attachments: records).isEmpty)
    }

    @Test func recordsRoundTripAndForeignValuesAreSkipped() throws {
        let record = Self.record("h2", mac: "02:00:00:00:00:02", "10.0.0.3/24")
        #expect(OverlayAttachment(stored: try record.encoded()) == record)
        #expect(OverlayAttachment(stored: Array("not json".utf8)) == nil)
    }

    @Test func keysNameTheAttachment() {
        let id = AttachmentID(network: NetworkName("ov")!, containerID: ContainerID("c1")!, interface: InterfaceName("eth0")!)
        let key = OverlayKeys.attachment(id)
        #expect(key == "vxlan/attachments/ov/c1/eth0")
        #expect(key.hasPrefix(OverlayKeys.attachments(of: id.network)))
        #expect(OverlayKeys.attachmentID(fromKey: key) == id)
        #expect(OverlayKeys.attachmentID(fromKey: OverlayKeys.host("h1")) == nil)
    }

    @Test func hostSubnetKeysNameTheirNetworkAndRetiringRecordsReadBack() throws {
        let subnet = Subnet("10.96.3.0/24")!
        let key = OverlayKeys.subnet(subnet, of: NetworkName("ov")!)
        #expect(key == "vxlan/subnets/ov/10.96.3.0-24")
        #expect(OverlayKeys.network(ofSubnetKey: key) == NetworkName("ov")!)
        #expect(OverlayKeys.network(ofSubnetKey: OverlayKeys.host("h1")) == nil)
        var record = HostSubnetRecord(host: "h1", subnet: subnet, vtep: IPAddress("192.0.2.1")!,
                                      mac: MACAddress("02:00:00:00:00:01")!, vni: 5)
        #expect(HostSubnetRecord(stored: try record.encoded())?.retiring == nil)
        record.retiring = true
        #expect(HostSubnetRecord(stored: try record.encoded()) == record)
    }

    @Test func deviceNamesCarryTheVNI() {
        #expect(OverlayDeviceName.make(vni: 16_777_215).rawValue == "vxlan16777215")
        #expect(OverlayDeviceName.vni(of: "vxlan42") == 42)
        #expect(OverlayDeviceName.vni(of: "vxlan042") == nil)
        #expect(OverlayDeviceName.vni(of: "vxbr42") == nil)
    }
}
