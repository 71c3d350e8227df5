import Testing
@testable import Addressing

@Suite struct AddressParsing {
    @Test func ipv4RoundTrips() {
        #expect(IPv4Address("10.22.0.1")?.description == "10.22.0.1")
        #expect(IPv4Address("10.22.0.1")?.value == 0x0A16_0001)
        #expect(IPv4Address("010.001.0.255")?.description == "10.1.0.255")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "01234.1.1.1", " 1.2.3.4", "a.b.c.d",
                    "1.2.3.4.", ".1.2.3", "1.2.3.-4", "1.2.3.4 ", "1.2.3.٤"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPAddress("1.2.3.4:80") == nil)
    }

    @Test func ipv6UsesCanonicalText() {
        #expect(IPv6Address("fd00:0:0:0:0:0:0:1")?.description == "fd00::1")
        #expect(IPv6Address("::ffff:10.0.0.1")?.bytes.suffix(4) == [10, 0, 0, 1])
        #expect(IPv6Address("fd00::1::2") == nil)
        #expect(IPAddress("::") == .v6(IPv6Address(high: 0, low: 0)))
    }

    @Test func advancingCarriesAcrossWords() {
        let last = IPAddress("fd00::ffff:ffff:ffff:ffff")!
        #expect(last.advanced(by: 1) == IPAddress("fd00:0:0:1::")!)
        #expect(IPAddress("fd00:0:0:1::")!.advanced(by: -1) == last)
        #expect(IPAddress("10.0.0.255")!.advanced(by: 1) == IPAddress("10.0.1.0")!)
    }

    @Test func subnetsRejectHostBits() {
        #expect(Subnet("10.22.0.0/16") != nil)
        #expect(Subnet("10.22.0.1/16") == nil)
        #expect(Subnet("10.22.0.0/33") == nil)
        #expect(Subnet("fd00:1::/64")?.lastAddress == IPAddress("fd00:1::ffff:ffff:ffff:ffff"))
        #expect(Subnet("10.22.0.0/16")?.lastAddress == IPAddress("10.22.255.255"))
        #expect(Subnet("0.0.0.0/0")?.contains(IPAddress("1.2.3.4")!) == true)
        #expect(Subnet("10.0.0.0/8")!.overlaps(Subnet("10.9.0.0/16")!))
        #expect(!Subnet("10.0.0.0/16")!.overlaps(Subnet("10.1.0.0/16")!))
    }

    @Test func interfaceAddressKeepsHostBits() {
        let cidr = InterfaceAddress("10.22.3.4/16")!
        #expect(cidr.subnet.description == "10.22.0.0/16")
        #expect(InterfaceAddress("10.22.3.4") == nil)
        #expect(InterfaceAddress("10.22.3.4/") == nil)
        for bad in ["10.22.3.4/33", "10.22.3.4/1/2", "10.22.3.4/0016", "/16", "10.22.3.4/-1", "::1/129"] {
            #expect(InterfaceAddress(bad) == nil, "\(bad)")
        }
        #expect(InterfaceAddress("fd00::5/64")?.subnet.description == "fd00::/64")
        #expect(InterfaceAddress(Substring("x10.0.0.1/8").dropFirst())?.description == "10.0.0.1/8")
    }

    @Test func macAddresses() {
        #expect(MACAddress("0A:58:0a:16:00:02")?.description == "0a:58:0a:16:00:02")
        #expect(MACAddress("0a:58:0a:16:00") == nil)
        let random = MACAddress.randomLocal()
        #expect(!random.isMulticast && random.bytes[0] & 2 == 2)
    }

    @Test func onlyUnicastNonZeroMACsCanBeAssigned() {
        #expect(MACAddress.assignmentProblem("0a:58:0a:16:00:02") == nil)
        #expect(MACAddress.assignmentProblem("00:00:00:00:00:00") == "is all zeros, which no interface may have")
        for multicast in ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01"] {
            #expect(MACAddress.assignmentProblem(multicast) == "is a multicast address, which no interface may have")
        }
        #expect(MACAddress.assignmentProblem("0a:58:0a:16:00") == "is not a MAC address")
    }

    @Test func interfaceNamesFollowTheKernelRules() {
        #expect(InterfaceName("eth0") != nil)
        #expect(InterfaceName("abcdefghijklmno") != nil)
        for bad in ["", ".", "..", "abcdefghijklmnop", "a/b", "a:b", "a b", "a\tb", "br\0x"] {
            #expect(InterfaceName(bad) == nil, "\(bad)")
        }
    }

    /// A combining mark joins the character before it, so a separator followed by one is not the
    /// character "/" any more; the kernel sees the byte all the same.
    @Test func interfaceNameSeparatorsAreFoundBeforeAFollowingCombiningMark() {
        for bad in ["a/\u{301}b", "a:\u{301}b", "a \u{301}b", "../\u{301}"] {
            #expect(InterfaceName(bad) == nil, "\(bad.unicodeScalars.map(\.value))")
        }
        #expect(InterfaceName("\u{301}h0") != nil)
    }

    @Test(arguments: [
        ("all", "is reserved by the kernel"), ("default", "is reserved by the kernel"),
        ("br\u{0}x", "contains a NUL byte"), ("\u{0}", "contains a NUL byte"),
        ("eth%d", "contains '%'"), ("sc\u{E0}", "contains '/', ':' or whitespace"),
    ])
    func namesTheKernelWouldRefuseOrChangeAreRefused(name: String, problem: String) {
        #expect(InterfaceName(name) == nil)
        #expect(InterfaceName.problem(with: name) == problem)
    }

    @Test func namesThatMerelyContainAReservedOneAreFine() {
        for good in ["all0", "defaults", "a.b", "eth-1_x", "caf\u{E9}"] {
            #expect(InterfaceName(good) != nil, "\(good)")
        }
    }
}
