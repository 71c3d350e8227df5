import Foundation
import Testing
@testable import Netlink

@Suite struct NetlinkErrorTests {
    /// Whether this process has CAP_NET_ADMIN (bit 12) in its effective set, from /proc.
    static func hasNetAdmin() throws -> Bool {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("CapEff:") })
        let mask = try #require(UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16))
        return mask & (1 << 12) != 0
    }

    @Test func theCapabilityHintIsGivenOnlyToAProcessWithoutCapNetAdmin() throws {
        let description = NetlinkError.permission("create bridge br0").description
        if try Self.hasNetAdmin() {
            #expect(description == "create bridge br0: permission denied")
        } else {
            #expect(description == "create bridge br0: permission denied (needs CAP_NET_ADMIN, usually root)")
        }
    }
}
