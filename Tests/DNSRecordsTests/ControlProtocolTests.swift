import Addressing
import Testing
@testable import DNSRecords

@Suite struct ControlProtocolTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func requestsAreOneLineEach() throws {
        #expect(text(try ControlLine.encode(ResponderRequest.sync(revision: 42))) == "{\"sync\":42}\n")
        #expect(text(try ControlLine.encode(ResponderRequest.status)) == "{\"status\":true}\n")
        #expect(try ControlLine.decode(ResponderRequest.self, from: Array(#"{"sync":7}"#.utf8)) == .sync(revision: 7))
        #expect(try ControlLine.decode(ResponderRequest.self, from: Array("{\"status\":true}\n".utf8)) == .status)
        #expect(throws: DecodingError.self) { try ControlLine.decode(ResponderRequest.self, from: Array("{}".utf8)) }
    }

    @Test func repliesRoundTripWithTheirUnboundListeners() throws {
        let reply = ResponderReply(revision: 9, unbound: [UnboundListener(address: IPAddress("10.88.0.1")!, port: 53,
                                                                           holder: "dnsmasq (pid 812)")])
        let line = try ControlLine.encode(reply)
        #expect(text(line) == #"{"revision":9,"unbound":[{"address":"10.88.0.1","holder":"dnsmasq (pid 812)","port":53}]}"# + "\n")
        #expect(try ControlLine.decode(ResponderReply.self, from: line) == reply)
        let failed = try ControlLine.decode(ResponderReply.self, from: Array(#"{"revision":3,"unbound":[],"error":"x"}"#.utf8))
        #expect(failed == ResponderReply(revision: 3, error: "x"))
    }

    @Test func pathsLiveInTheDataDirectory() {
        let paths = ResponderPaths(dataDir: "/var/lib/swift-cni/")
        #expect(paths.socket == "/var/lib/swift-cni/cni-dns.sock")
        #expect(paths.lock == "/var/lib/swift-cni/cni-dns.lock")
        #expect(paths.log == "/var/lib/swift-cni/cni-dns.log")
    }

    @Test(arguments: [("10.0.0.1", "10.0.0.1", 53), ("10.0.0.1:5353", "10.0.0.1", 5353), ("fd00::1", "fd00::1", 53),
                      ("[fd00::1]:5300", "fd00::1", 5300), ("10.0.0.1:53", "10.0.0.1", 53)])
    func upstreamsParse(text: String, address: String, port: Int) throws {
        let upstream = try #require(DNSUpstream(text))
        #expect(upstream.address == IPAddress(address)! && upstream.port == UInt16(port))
    }

    @Test(arguments: ["", "host", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:70000", "[10.0.0.1]:53", "fd00::1:x", "[fd00::1]"])
    func upstreamsRefuse(text: String) {
        #expect(DNSUpstream(text) == nil)
    }

    @Test func upstreamsWriteTheirShortestForm() {
        #expect(DNSUpstream("10.0.0.1:53")!.description == "10.0.0.1")
        #expect(DNSUpstream("[fd00::1]:5300")!.description == "[fd00::1]:5300")
    }
}
