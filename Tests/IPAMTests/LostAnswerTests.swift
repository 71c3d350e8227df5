import Addressing
import KV
import Testing
@testable import IPAM

/// An ADD whose commit's answer is lost is settled by reading back: one address, never two.
@Suite struct LostAnswerTests {
    let sets = try! config(#"{"subnet":"10.77.0.0/24"}"#).rangeSets
    let keys = LeaseKeys(network: net)

    func manager(_ store: EtcdLikeStore) -> LeaseManager {
        LeaseManager(store: store, network: net,
                     blocks: BlockAllocator(store: store, network: net, rangeSets: sets, layout: BlockLayout(hostID: "a")))
    }

    /// Every address key, and the one lease `holder` has: they must agree.
    func expectOneLease(_ store: EtcdLikeStore, _ leases: [Lease], holder: String) throws {
        let held = try store.range(prefix: keys.addresses).kvs
        #expect(held.map(\.key) == leases.map { keys.address($0.address) })
        #expect(try store.get(keys.owner(attachment(holder)))?.string == LeaseKeys.ownerValue(holding: leases.map(\.address)))
        let block = try #require(try store.range(prefix: keys.blocks).kvs.first)
        #expect(BlockState(value: block.string, size: 64)?.used.filter { $0 }.count == leases.count)
    }

    @Test func anAppliedCommitWhoseAnswerIsLostReturnsItsLease() throws {
        let store = EtcdLikeStore()
        let leases = manager(store)
        _ = try leases.acquire(for: attachment("warm"), from: sets)
        try leases.release(attachment("warm"))
        store.losingAnswers = 1
        let got = try leases.acquire(for: attachment("x"), from: sets)
        try expectOneLease(store, got, holder: "x")
    }

    @Test func aCommitStillOnItsWayWhenTheAnswerIsLostCanNeverApply() throws {
        let store = EtcdLikeStore()
        let leases = manager(store)
        store.delayingNext = true
        let got = try leases.acquire(for: attachment("x"), from: sets)
        #expect(store.lateResult?.succeeded == false, "the late commit must fail against the fence")
        try expectOneLease(store, got, holder: "x")
    }

    @Test func aFenceLeftByAFailedAddHoldsNothingAndGoesWithItsDel() throws {
        let store = EtcdLikeStore()
        let leases = manager(store)
        store.delayingNext = true
        store.losingAnswers = 1
        // The settling read's answer is lost too: the ADD fails, having leased nothing.
        #expect(throws: KVError.self) { try leases.acquire(for: attachment("x"), from: sets) }
        #expect(try store.range(prefix: keys.addresses).kvs.isEmpty)
        try leases.release(attachment("x"))
        #expect(try store.range(prefix: keys.owners).kvs.isEmpty)
    }
}
