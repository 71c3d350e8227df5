import Addressing
import Overlay
import Testing

@Suite struct HostSubnetPoolTests {
    static func subnet(_ text: String) -> Subnet { Subnet(text)! }

    @Test func aSlash16IsCutIntoSlash24sLeavingOutTheFirst() throws {
        let pool = try #require(HostSubnetPool(network: Self.subnet("10.96.0.0/16"), hostPrefix: 24))
        #expect(pool.count == 255)
        #expect(pool.subnet(0) == Self.subnet("10.96.1.0/24"))
        #expect(pool.subnet(254) == Self.subnet("10.96.255.0/24"))
        #expect(pool.contains(Self.subnet("10.96.7.0/24")))
        #expect(!pool.contains(Self.subnet("10.96.0.0/24")))
        #expect(!pool.contains(Self.subnet("10.97.1.0/24")))
        #expect(!pool.contains(Self.subnet("10.96.1.0/25")))
    }

    @Test func sizesThatDoNotCutTheNetworkAreRefused() {
        #expect(HostSubnetPool(network: Self.subnet("10.96.0.0/16"), hostPrefix: 16) == nil)
        #expect(HostSubnetPool(network: Self.subnet("10.96.0.0/16"), hostPrefix: 8) == nil)
        #expect(HostSubnetPool(network: Self.subnet("10.96.0.0/16"), hostPrefix: 31) == nil)
        #expect(HostSubnetPool(network: Self.subnet("fd00::/48"), hostPrefix: 64) == nil)
    }

    @Test func choosingPrefersTheRememberedSubnetThenTheFirstFree() throws {
        let pool = try #require(HostSubnetPool(network: Self.subnet("10.96.0.0/24"), hostPrefix: 26))
        #expect(pool.count == 3)
        let first = Self.subnet("10.96.0.64/26"), second = Self.subnet("10.96.0.128/26"), third = Self.subnet("10.96.0.192/26")
        #expect(pool.choose(taken: []) == first)
        #expect(pool.choose(taken: [first]) == second)
        #expect(pool.choose(taken: [first], preferred: third) == third)
        // Taken by another host, or not one of the pool's: the first free instead.
        #expect(pool.choose(taken: [first, third], preferred: third) == second)
        #expect(pool.choose(taken: [], preferred: Self.subnet("10.96.0.0/26")) == first)
        #expect(pool.choose(taken: [first, second, third]) == nil)
    }

    @Test func aRecordsDeviceAddressIsTheNetworkAddressAndTheGatewayTheFirst() throws {
        let record = HostSubnetRecord(host: "h1", subnet: Self.subnet("10.96.3.0/24"), vtep: IPAddress("192.0.2.1")!,
                                      mac: MACAddress("02:00:00:00:00:01")!, vni: 7)
        #expect(record.deviceAddress == IPAddress("10.96.3.0")!)
        #expect(record.gateway == IPAddress("10.96.3.1")!)
        #expect(HostSubnetRecord(stored: try record.encoded()) == record)
        #expect(HostSubnetRecord(stored: Array("{}".utf8)) == nil)
    }

    @Test func peerRoutesAreTheOtherHostsSubnetsOfTheVNI() {
        let records = [("h1", "10.96.1.0/24", 7), ("h2", "10.96.2.0/24", 7), ("h3", "10.96.3.0/24", 8)].map { host, subnet, vni in
            HostSubnetRecord(host: host, subnet: Self.subnet(subnet), vtep: IPAddress("192.0.2.\(host.dropFirst())")!,
                             mac: MACAddress("02:00:00:00:00:0\(host.dropFirst())")!, vni: UInt32(vni))
        }
        let peers = PeerRoutes(vni: 7, host: "h1", subnets: records)
        #expect(peers.routes == [Self.subnet("10.96.2.0/24"): IPAddress("10.96.2.0")!])
        #expect(peers.entries.neighbours == [IPAddress("10.96.2.0")!: MACAddress("02:00:00:00:00:02")!])
        #expect(peers.entries.forwarding == [MACAddress("02:00:00:00:00:02")!: IPAddress("192.0.2.2")!])
    }
}
