import Addressing
import Foundation
import KV
import Testing
@testable import IPAM

/// A block whose last lease is released goes back after the grace period, unless its owner leases
/// from it again first.
@Suite struct EmptyBlockTests {
    let sets = try! config(#"{"subnet":"10.77.0.0/24"}"#).rangeSets
    let keys = LeaseKeys(network: net)
    let first = Subnet("10.77.0.0/26")!

    func manager(_ store: EtcdLikeStore, host: String, grace: Duration = .seconds(1)) -> LeaseManager {
        LeaseManager(store: store, network: net,
                     blocks: BlockAllocator(store: store, network: net, rangeSets: sets,
                                            layout: BlockLayout(hostID: host, gracePeriod: grace)))
    }

    func owner(_ store: EtcdLikeStore, _ block: Subnet) throws -> String? {
        try store.get(keys.block(block)).map { String($0.string.split(separator: "\n")[0]) }
    }

    /// Waits up to `seconds` for the block to go; whether it went.
    func waitForRelease(_ store: EtcdLikeStore, _ block: Subnet, seconds: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try store.get(keys.block(block)) == nil { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func anEmptyBlockGoesBackAfterTheGracePeriodAndAnotherHostClaimsIt() throws {
        let store = EtcdLikeStore()
        let a = manager(store, host: "a"), b = manager(store, host: "b")
        _ = try a.acquire(for: attachment("a0"), from: sets)
        try a.release(attachment("a0"))
        #expect(try owner(store, first) == "a", "the block stays its owner's during the grace period")
        #expect(try waitForRelease(store, first, seconds: 5))
        #expect(try b.acquire(for: attachment("b0"), from: sets).map(\.address).allSatisfy(first.contains))
        #expect(try owner(store, first) == "b")
    }

    @Test func aBlockLeasedFromAgainWithinTheGracePeriodStaysItsOwners() throws {
        let store = EtcdLikeStore()
        let a = manager(store, host: "a")
        _ = try a.acquire(for: attachment("a0"), from: sets)
        try a.release(attachment("a0"))
        _ = try a.acquire(for: attachment("a1"), from: sets)
        #expect(try waitForRelease(store, first, seconds: 2.5) == false)
        #expect(try owner(store, first) == "a")
    }

    @Test func gcGivesBackTheBlocksItEmpties() throws {
        let store = EtcdLikeStore()
        let a = manager(store, host: "a")
        for n in 0..<3 { _ = try a.acquire(for: attachment("g\(n)"), from: sets) }
        try a.releaseAll(except: [])
        #expect(try waitForRelease(store, first, seconds: 5))
    }

    @Test(arguments: [0, 604_801])
    func theGracePeriodIsBounded(seconds: Int) {
        #expect(throws: IPAMError.self) { try config(#"{"subnet":"10.77.0.0/24","blockGracePeriod":\#(seconds)}"#) }
    }

    @Test func theGracePeriodDefaultsToTenMinutes() throws {
        #expect(try config(#"{"subnet":"10.77.0.0/24"}"#).blockGracePeriod == .seconds(600))
        #expect(try config(#"{"subnet":"10.77.0.0/24","blockGracePeriod":30}"#).blockGracePeriod == .seconds(30))
    }
}
