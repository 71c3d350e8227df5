import Addressing
import Foundation
import Testing
@testable import Netlink

@Suite(.needsRoot) struct AddressRouteTests {
    static let v4 = InterfaceAddress("10.250.200.5/24")!
    static let v6 = InterfaceAddress("fd00:250:200::5/64")!

    @Test func addressesAreAddedReadBackAndDeleted() throws {
        let sandbox = Sandbox("ad")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let container = attachment.container
        let index = attachment.peer.index

        try container.addAddress(Self.v4, index: index)
        try container.addAddress(Self.v6, index: index, noDAD: true)

        #expect(try container.addresses(index: index, family: .ipv4) == [Self.v4])
        #expect(try container.addresses(index: index, family: .ipv6).contains(Self.v6))
        #expect(try container.addresses(index: index).contains(Self.v4))
        #expect(try container.addressesByLink(family: .ipv4) == [index: [Self.v4]])
        // The host end holds none of them.
        #expect(try attachment.host.addresses(index: attachment.hostVeth.index, family: .ipv4).isEmpty)

        let ipView = try run("ip", "-n", sandbox.namespaceName(""), "addr", "show", "dev", "eth0")
        #expect(ipView.contains("inet 10.250.200.5/24 brd 10.250.200.255"))
        #expect(ipView.contains("inet6 fd00:250:200::5/64"))
        // noDAD: usable at once, never tentative.
        let v6Line = try #require(ipView.split(separator: "\n").first { $0.contains("fd00:250:200::5") })
        #expect(!v6Line.contains("tentative"))
        #expect(v6Line.contains("nodad"))

        #expect(throws: NetlinkError.exists("add address \(Self.v4) to link index \(index)")) {
            try container.addAddress(Self.v4, index: index)
        }

        #expect(try container.deleteAddress(Self.v4, index: index))
        #expect(try container.deleteAddress(Self.v4, index: index) == false)
        #expect(try container.addresses(index: index, family: .ipv4).isEmpty)
    }

    @Test func routesAreAddedInTheNamespaceReadBackAndDeleted() throws {
        let sandbox = Sandbox("rt")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let container = attachment.container
        let index = attachment.peer.index
        try container.addAddress(Self.v4, index: index)
        try container.addAddress(Self.v6, index: index, noDAD: true)

        let gateway4 = IPAddress("10.250.200.1")!
        let gateway6 = IPAddress("fd00:250:200::1")!
        let defaultRoute = Route(destination: .defaultRoute(.ipv4), gateway: gateway4, outputIndex: index)
        let narrow = Route(destination: Subnet("10.250.201.0/24")!, gateway: gateway4, outputIndex: index,
                           mtu: 1300, priority: 50)
        let defaultRoute6 = Route(destination: .defaultRoute(.ipv6), gateway: gateway6, outputIndex: index)
        for route in [defaultRoute, narrow, defaultRoute6] { try container.addRoute(route) }

        let routes4 = try container.routes(family: .ipv4)
        #expect(routes4.contains(defaultRoute))
        #expect(routes4.contains(narrow))
        // The kernel's own route for the connected subnet.
        #expect(routes4.contains { $0.destination == Self.v4.subnet && $0.gateway == nil && $0.scope == .link })
        let found6 = try #require(try container.routes(family: .ipv6).first { $0.destination.prefixLength == 0 })
        #expect(found6.gateway == gateway6)
        #expect(found6.outputIndex == index)
        // None of it leaked into the host's table.
        #expect(try attachment.host.routes(family: .ipv4).contains(narrow) == false)

        let ipView = try run("ip", "-n", sandbox.namespaceName(""), "route", "show")
        #expect(ipView.contains("default via 10.250.200.1 dev eth0"))
        #expect(ipView.contains("10.250.201.0/24 via 10.250.200.1 dev eth0"))
        #expect(ipView.contains("metric 50 mtu 1300"))

        #expect(throws: NetlinkError.exists("add route \(narrow)")) { try container.addRoute(narrow) }
        #expect(try container.deleteRoute(narrow))
        #expect(try container.deleteRoute(narrow) == false)
        #expect(try container.routes(family: .ipv4).contains(narrow) == false)
    }

    @Test func kernelExplanationsReachTheError() throws {
        let sandbox = Sandbox("ke")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let unreachable = Route(destination: Subnet("10.250.202.0/24")!, gateway: IPAddress("10.250.99.1")!,
                                outputIndex: attachment.peer.index)
        #expect {
            try attachment.container.addRoute(unreachable)
        } throws: { error in
            guard case NetlinkError.kernel(_, let code, let message) = error else { return false }
            return code == ENETUNREACH && !message.isEmpty
        }
    }

    @Test func neighboursArePermanentAndReplaceable() throws {
        let sandbox = Sandbox("nb")
        defer { sandbox.cleanUp() }
        let attachment = try Attachment(in: sandbox)
        let container = attachment.container
        let index = attachment.peer.index
        try container.addAddress(Self.v4, index: index)
        let neighbour = IPAddress("10.250.200.9")!
        let first = MACAddress("02:42:0a:fa:c8:09")!
        let second = MACAddress("02:42:0a:fa:c8:0a")!

        try container.addNeighbour(neighbour, mac: first, index: index)
        #expect(try container.neighbours(index: index) == [Neighbour(address: neighbour, mac: first, index: index)])
        #expect(throws: NetlinkError.exists("add neighbour \(neighbour) at \(first) on link index \(index)")) {
            try container.addNeighbour(neighbour, mac: first, index: index)
        }
        try container.replaceNeighbour(neighbour, mac: second, index: index)
        #expect(try container.neighbours(index: index, family: .ipv4).map(\.mac) == [second])
        #expect(try run("ip", "-n", sandbox.namespaceName(""), "neigh", "show", "dev", "eth0")
            .contains("10.250.200.9 lladdr \(second) PERMANENT"))

        #expect(try container.deleteNeighbour(neighbour, index: index))
        #expect(try container.deleteNeighbour(neighbour, index: index) == false)
        #expect(try container.neighbours(index: index, family: .ipv4).isEmpty)
    }
}
