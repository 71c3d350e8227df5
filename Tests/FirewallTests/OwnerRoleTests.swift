import Testing
@testable import Firewall

/// The roles these tests act as; each client of the firewall defines its own the same way.
extension FirewallOwner.Role {
    static let bridge = FirewallOwner.Role(rawValue: "bridge")!
    static let portmap = FirewallOwner.Role(rawValue: "portmap")!
    static let vxlan = FirewallOwner.Role(rawValue: "vxlan")!
}

@Suite struct OwnerRoleTests {
    let containerID = String(repeating: "f", count: 64)

    func owner(_ role: FirewallOwner.Role, container: String? = nil, interface: String = "eth0") -> FirewallOwner {
        FirewallOwner(role: role, network: "mynet", containerID: container ?? containerID, interface: interface)!
    }

    @Test func aRoleIsOneToFifteenLowercaseLetters() {
        #expect(FirewallOwner.Role(rawValue: "dns")?.rawValue == "dns")
        #expect(FirewallOwner.Role(rawValue: String(repeating: "a", count: 15)) != nil)
        for refused in ["", String(repeating: "a", count: 16), "Bridge", "port-map", "v6", "a b", "dns/x", "é"] {
            #expect(FirewallOwner.Role(rawValue: refused) == nil, "\(refused)")
        }
    }

    /// Hosts already carry these texts and keys in the kernel: they must not change.
    @Test func ownerTextsAndRecordKeysKeepTheirInKernelForm() {
        #expect(owner(.bridge).text == "bridge mynet/\(containerID)/eth0")
        #expect(owner(.portmap).text == "portmap mynet/\(containerID)/eth0")
        #expect(owner(.bridge).recordKey(chunk: 0) == Array("418cfaa916e1a20".utf8) + [0])
        #expect(owner(.portmap).recordKey(chunk: 2) == Array("fbf9f538e9dd122".utf8) + [0])
    }

    @Test func anyRoleReadsBackFromItsText() {
        #expect(FirewallOwner(text: "vxlan mynet/\(containerID)/eth0") == owner(.vxlan))
        #expect(FirewallOwner(text: owner(.portmap).text)?.role == .portmap)
    }

    @Test func neverEvictsAnyone() throws {
        #expect(try !EvictionPolicy.never.evicts(owner(.bridge, container: "old"), for: owner(.bridge)))
        #expect(try !EvictionPolicy.never.evicts(owner(.portmap, container: "old"), for: owner(.portmap)))
    }

    @Test func holdersOfTheNamedRolesAreEvictedWhenProvedGoneAndNoOneElse() throws {
        let policy = EvictionPolicy.holders(of: [.bridge, .vxlan], whenGone: { $0.attachment.containerID.rawValue == "old" })
        #expect(try policy.evicts(owner(.bridge, container: "old"), for: owner(.bridge)))
        #expect(try policy.evicts(owner(.vxlan, container: "old", interface: "eth1"), for: owner(.bridge)))
        #expect(try !policy.evicts(owner(.bridge, container: "live"), for: owner(.bridge)))
        #expect(try !policy.evicts(owner(.portmap, container: "old"), for: owner(.bridge)))
    }

    @Test func addedPoliciesEachJudgeTheirOwnRoles() throws {
        let bridges = EvictionPolicy.holders(of: [.bridge], whenGone: { $0.attachment.containerID.rawValue == "old" })
        let others = EvictionPolicy.holders(of: [.vxlan], whenGone: { $0.attachment.containerID.rawValue == "gone" })
        let policy = bridges.adding(others)
        #expect(try policy.evicts(owner(.bridge, container: "old"), for: owner(.bridge)))
        #expect(try !policy.evicts(owner(.bridge, container: "gone"), for: owner(.bridge)))
        #expect(try policy.evicts(owner(.vxlan, container: "gone", interface: "eth1"), for: owner(.bridge)))
        #expect(try !policy.evicts(owner(.vxlan, container: "old", interface: "eth1"), for: owner(.bridge)))
        #expect(try !policy.evicts(owner(.portmap, container: "old"), for: owner(.bridge)))
    }

    @Test func anOwnerNeverEvictsItself() throws {
        #expect(try !EvictionPolicy.holders(of: [.bridge], whenGone: { _ in true }).evicts(owner(.bridge), for: owner(.bridge)))
    }
}
