import Addressing
import Testing
@testable import Netlink

@Suite(.needsRoot) struct VxlanTests {
    @Test func vxlanIsCreatedWithItsTunnelSettingsAndMaster() throws {
        let sandbox = Sandbox("vx")
        defer { sandbox.cleanUp() }
        let socket = try NetlinkSocket(in: sandbox.namespace())
        let bridge = sandbox.name("b"), underlay = sandbox.name("u"), peer = sandbox.name("p"), vxlan = sandbox.name("x")
        try socket.createBridge(name: bridge)
        try socket.createVeth(name: underlay, peerName: peer)
        let underlayIndex = try #require(try socket.link(named: underlay)).index
        try socket.addAddress(InterfaceAddress("10.250.201.1/24")!, index: underlayIndex)
        let bridgeIndex = try #require(try socket.link(named: bridge)).index

        try socket.createVxlan(name: vxlan, VxlanSettings(vni: 4242, remote: IPAddress("10.250.201.2"),
                                                          local: IPAddress("10.250.201.1"), deviceIndex: underlayIndex),
                               mtu: 1450, masterIndex: bridgeIndex)

        let link = try #require(try socket.link(named: vxlan))
        #expect(link.kind == "vxlan")
        #expect(link.mtu == 1450 && link.isUp && link.masterIndex == bridgeIndex)
        #expect(throws: NetlinkError.self) {
            try socket.createVxlan(name: vxlan, VxlanSettings(vni: 4242, remote: IPAddress("10.250.201.2")))
        }
    }

    @Test func vniBeyondTwentyFourBitsIsRefusedBeforeTheKernel() throws {
        let socket = try NetlinkSocket()
        #expect(throws: NetlinkError.invalidArgument("VNI 16777216 of nt0vxbig does not fit in 24 bits")) {
            try socket.createVxlan(name: InterfaceName("nt0vxbig")!, VxlanSettings(vni: 1 << 24))
        }
    }
}
