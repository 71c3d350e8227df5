import Addressing
import Foundation
import Testing
@testable import Netlink

@Suite(.needsRoot) struct LinkTests {
    @Test func vethPeerIsCreatedInsideTheNamespaceReadyToUse() throws {
        let sandbox = Sandbox("vp")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)

        #expect(attachment.bridge.kind == "bridge")
        #expect(attachment.bridge.isUp)
        #expect(attachment.bridge.mtu == Attachment.mtu)

        let hostVeth = attachment.hostVeth
        #expect(hostVeth.kind == "veth")
        #expect(hostVeth.masterIndex == attachment.bridge.index)
        #expect(hostVeth.mtu == Attachment.mtu)
        #expect(hostVeth.isUp)

        let peer = attachment.peer
        #expect(peer.name == "eth0")
        #expect(peer.kind == "veth")
        #expect(peer.mac == Attachment.peerMAC)
        #expect(peer.mtu == Attachment.mtu)
        #expect(peer.isUp)
        #expect(peer.masterIndex == nil)
        // Each end names the other's index, across the namespace boundary.
        #expect(peer.linkIndex == hostVeth.index)
        #expect(hostVeth.linkIndex == peer.index)
        #expect(try attachment.host.link(index: hostVeth.index)?.name == hostVeth.name)
        #expect(try attachment.host.link(named: InterfaceName("eth0")!)?.index != peer.index)

        let ipView = try run("ip", "-n", sandbox.namespaceName(""), "-o", "link", "show", "eth0")
        #expect(ipView.contains("mtu \(Attachment.mtu)"))
        #expect(ipView.contains(Attachment.peerMAC.description))
        #expect(ipView.contains(",UP"))
    }

    @Test func nameCollisionsAreReportedAsExists() throws {
        let sandbox = Sandbox("nc")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let host = attachment.host
        let bridgeName = InterfaceName(attachment.bridge.name)!

        #expect(throws: NetlinkError.exists("create bridge \(bridgeName)")) {
            try host.createBridge(name: bridgeName)
        }
        // The peer name is taken inside the namespace, though the host end's name is free.
        let spare = sandbox.hostName("x")
        #expect {
            try host.createVeth(name: spare, peerName: InterfaceName("eth0")!, peerNamespace: attachment.namespace)
        } throws: { error in
            guard case NetlinkError.exists = error else { return false }
            return true
        }
        #expect(try host.link(named: spare) == nil)
    }

    @Test func settersChangeOnlyWhatTheyName() throws {
        let sandbox = Sandbox("st")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let host = attachment.host
        let index = attachment.hostVeth.index
        func current() throws -> Link { try #require(try host.link(index: index)) }

        try host.setAlias(index: index, "container 0123abcd eth0")
        #expect(try current().alias == "container 0123abcd eth0")
        try host.setAlias(index: index, nil)
        #expect(try current().alias == nil)

        try host.setPromiscuous(index: index, true)
        #expect(try current().isPromiscuous)
        try host.setPromiscuous(index: index, false)
        #expect(try current().isPromiscuous == false)

        try host.setMTU(index: index, mtu: 1300)
        #expect(try current().mtu == 1300)
        let mac = MACAddress("02:42:0a:fa:c8:99")!
        try host.setMAC(index: index, mac: mac)
        #expect(try current().mac == mac)

        try host.setDown(index: index)
        #expect(try current().isUp == false)
        try host.setUp(index: index)
        #expect(try current().isUp)

        try host.setMaster(index: index, masterIndex: nil)
        #expect(try current().masterIndex == nil)
        try host.setMaster(index: index, masterIndex: attachment.bridge.index)
        #expect(try current().masterIndex == attachment.bridge.index)
        #expect(try current().isUp)
    }

    @Test func hairpinIsABridgePortFlag() throws {
        let sandbox = Sandbox("hp")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let index = attachment.hostVeth.index
        let sysfs = "/sys/class/net/\(attachment.hostVeth.name)/brport/hairpin_mode"
        func hairpin() throws -> String {
            try String(contentsOfFile: sysfs, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        #expect(try hairpin() == "0")
        try attachment.host.setHairpin(index: index, true)
        #expect(try hairpin() == "1")
        #expect(try run("bridge", "-d", "link", "show", "dev", attachment.hostVeth.name).contains("hairpin on"))
        try attachment.host.setHairpin(index: index, false)
        #expect(try hairpin() == "0")
        // The port's STP state must be untouched (a non-nested IFLA_PROTINFO would have set it).
        #expect(try attachment.host.link(index: index)?.masterIndex == attachment.bridge.index)

        #expect(throws: NetlinkError.self) { try attachment.host.setHairpin(index: attachment.bridge.index, true) }
    }

    @Test(arguments: [LinkRemovalStrategy.inProcess, .detached])
    func deletingOneEndRemovesThePairEverywhere(removal: LinkRemovalStrategy) throws {
        let sandbox = Sandbox(removal == .inProcess ? "dl" : "dd")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let vethName = InterfaceName(attachment.hostVeth.name)!

        #expect(try attachment.host.deleteLink(named: vethName, removal: removal))
        #expect(try attachment.host.link(named: vethName) == nil)
        #expect(try attachment.container.link(named: InterfaceName("eth0")!) == nil)
        #expect(try attachment.host.link(index: attachment.hostVeth.index) == nil)

        #expect(try attachment.host.deleteLink(named: vethName, removal: removal) == false)
        #expect(try attachment.host.deleteLink(index: attachment.hostVeth.index, removal: removal) == false)
        #expect(try attachment.host.deleteLink(index: attachment.bridge.index, removal: removal))
        #expect(try attachment.host.links().contains { $0.index == attachment.bridge.index } == false)
    }

    @Test(arguments: [LinkRemovalStrategy.inProcess, .detached])
    func aRefusedDeletionIsAnErrorAndLeavesTheLink(removal: LinkRemovalStrategy) throws {
        let sandbox = Sandbox(removal == .inProcess ? "rd" : "rx")
        defer { sandbox.cleanUp() }
        let socket = try NetlinkSocket(in: sandbox.namespace())
        let loopback = try #require(try socket.link(named: InterfaceName("lo")!))

        // Loopback has no link operations to delete it with: the kernel answers EOPNOTSUPP.
        #expect(throws: NetlinkError.kernel(operation: "delete link index \(loopback.index)", errno: EOPNOTSUPP,
                                            message: "")) {
            try socket.deleteLink(index: loopback.index, removal: removal)
        }
        #expect(try socket.link(index: loopback.index) != nil)
    }

    @Test func macvlanIsCreatedInsideTheNamespaceOnAHostParent() throws {
        let sandbox = Sandbox("mv")
        defer { sandbox.cleanUp() }
        let namespace = try sandbox.namespace()
        let host = try NetlinkSocket()
        let parentName = sandbox.hostName("p")
        try host.createBridge(name: parentName)
        let parent = try #require(try host.link(named: parentName))
        let name = InterfaceName("mv0")!
        let mac = MACAddress("02:42:0a:fa:c9:07")!

        try host.createMacvlan(name: name, parentIndex: parent.index, mode: .bridge, mac: mac, mtu: 1400,
                               in: namespace)

        let container = try NetlinkSocket(in: namespace)
        let macvlan = try #require(try container.link(named: name))
        #expect(macvlan.kind == "macvlan")
        #expect(macvlan.macvlanMode == .bridge)
        #expect(macvlan.mac == mac)
        #expect(macvlan.mtu == 1400)
        #expect(macvlan.isUp)
        #expect(try host.link(named: name) == nil)
        #expect(try run("ip", "-n", sandbox.namespaceName(""), "-d", "link", "show", "mv0").contains("macvlan mode bridge"))

        #expect {
            try host.createMacvlan(name: name, parentIndex: parent.index, in: namespace)
        } throws: { error in
            guard case NetlinkError.exists = error else { return false }
            return true
        }
    }
}
