import Addressing
import Identity
import KV
import KVMemory
import Testing
@testable import IPAM

/// A memory store that updates optimistically, as etcd does, and refuses transactions beyond
/// etcd's default limit of 128 operations, as etcd does. It can fail as a server does: `down`
/// answers nothing, `losingAnswers` applies that many commits but loses their answers.
final class EtcdLikeStore: KeyValueStore {
    let inner = MemoryStore()
    private(set) var commits = 0
    private(set) var ranges = 0
    var down = false
    var losingAnswers = 0
    /// The next commit is held back unanswered, and applied only after the commit that follows it,
    /// as a request stuck in a connection the client gave up on.
    var delayingNext = false
    private var delayed: Transaction?
    private(set) var lateResult: TransactionResult?

    private func reachable() throws {
        if down { throw KVError.unavailable("etcd at http://192.0.2.1:2379 did not answer") }
    }

    func get(_ key: String) throws -> KeyValue? { try reachable(); return try inner.get(key) }
    func range(prefix: String) throws -> RangeResult {
        try reachable()
        ranges += 1
        return try inner.range(prefix: prefix)
    }
    func range(prefix: String, limit: Int, _ body: ([KeyValue]) throws -> Void) throws -> Int64 {
        try reachable()
        ranges += 1
        return try inner.range(prefix: prefix, limit: limit, body)
    }
    func put(_ key: String, _ value: [UInt8]) throws -> Int64 { try inner.put(key, value) }
    func delete(_ key: String) throws -> Int { try inner.delete(key) }
    func delete(prefix: String) throws -> Int { try inner.delete(prefix: prefix) }
    func revision() throws -> Int64 { try inner.revision() }
    func watch(prefix: String, afterRevision: Int64) throws -> any KeyValueWatch {
        try inner.watch(prefix: prefix, afterRevision: afterRevision)
    }
    func commit(_ transaction: Transaction) throws -> TransactionResult {
        guard [transaction.compares.count, transaction.success.count, transaction.failure.count].allSatisfy({ $0 <= 128 }) else {
            throw KVError.invalidArgument("etcdserver: too many operations in txn request")
        }
        try reachable()
        commits += 1
        if delayingNext {
            delayingNext = false
            delayed = transaction
            throw KVError.unavailable("etcd at http://192.0.2.1:2379 did not answer /v3/kv/txn in time")
        }
        let result = try inner.commit(transaction)
        if let late = delayed {
            delayed = nil
            lateResult = try inner.commit(late)
        }
        if losingAnswers > 0 {
            losingAnswers -= 1
            throw KVError.unavailable("etcd at http://192.0.2.1:2379 did not answer /v3/kv/txn in time")
        }
        return result
    }
    func update<T>(_ body: (TransactionContext) throws -> T) throws -> T { try OptimisticUpdate.run(on: self, body) }
    func grantLease(ttl: Duration) throws -> LeaseID { try inner.grantLease(ttl: ttl) }
    func keepAlive(_ lease: LeaseID) throws -> Duration? { try inner.keepAlive(lease) }
    func revoke(_ lease: LeaseID) throws -> Bool { try inner.revoke(lease) }
    func timeToLive(_ lease: LeaseID) throws -> Duration? { try inner.timeToLive(lease) }
    func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws -> Int64 { try inner.put(key, value, lease: lease) }
}

@Suite struct Blocks {
    let sets = try! config(#"{"subnet":"10.77.0.0/24"}"#).rangeSets

    func manager(_ store: any KeyValueStore, host: String, size: Int = 64) -> LeaseManager {
        LeaseManager(store: store, network: net,
                     blocks: BlockAllocator(store: store, network: net, rangeSets: sets,
                                            layout: BlockLayout(hostID: host, size: size)))
    }

    func owners(_ store: any KeyValueStore) throws -> [String: String] {
        let keys = LeaseKeys(network: net)
        return try Dictionary(uniqueKeysWithValues: store.range(prefix: keys.blocks).kvs.map {
            (String($0.key.dropFirst(keys.blocks.count)), String($0.string.split(separator: "\n")[0]))
        })
    }

    @Test func eachHostClaimsABlockOfItsOwn() throws {
        let store = EtcdLikeStore()
        var leased: [String: [IPAddress]] = [:]
        for host in ["a", "b", "c", "d"] {
            let leases = manager(store, host: host)
            for n in 0..<10 {
                leased[host, default: []] += try leases.acquire(for: attachment("\(host)\(n)"), from: sets).map(\.address)
            }
        }
        #expect(Set(leased.values.joined()).count == 40)
        #expect(try owners(store) == ["10.77.0.0/26": "a", "10.77.0.64/26": "b", "10.77.0.128/26": "c", "10.77.0.192/26": "d"])
        #expect(leased["b"]!.allSatisfy { Subnet("10.77.0.64/26")!.contains($0) })
    }

    @Test func oneCommitPerAddOnAWarmAllocator() throws {
        let store = EtcdLikeStore()
        let leases = manager(store, host: "a")
        _ = try leases.acquire(for: attachment("first"), from: sets)
        let before = store.commits
        for n in 0..<20 { _ = try leases.acquire(for: attachment("c\(n)"), from: sets) }
        #expect(store.commits - before == 20)
    }

    @Test func aFullHostClaimsAnotherBlockThenTakesFromOthers() throws {
        let store = EtcdLikeStore()
        let a = manager(store, host: "a"), b = manager(store, host: "b")
        _ = try b.acquire(for: attachment("b0"), from: sets)
        // b holds 10.77.0.0/26; a fills the other three blocks (191 addresses), then the 61 free in b's.
        var got: [IPAddress] = []
        for n in 0..<252 { got += try a.acquire(for: attachment("a\(n)"), from: sets).map(\.address) }
        #expect(Set(got).count == 252)
        #expect(try owners(store).values.filter { $0 == "a" }.count == 3)
        #expect(got.contains { Subnet("10.77.0.0/26")!.contains($0) })
        #expect(throws: IPAMError.self) { try a.acquire(for: attachment("over"), from: sets) }
    }

    @Test func releaseFreesTheAddressAndRoundRobinMovesOn() throws {
        let store = EtcdLikeStore()
        let leases = manager(store, host: "a")
        let first = try leases.acquire(for: attachment("x"), from: sets)
        #expect(try leases.acquire(for: attachment("x"), from: sets) == first)
        try leases.release(attachment("x"))
        let second = try leases.acquire(for: attachment("y"), from: sets)
        #expect(second != first)
        #expect(try store.get(LeaseKeys(network: net).address(first[0].address)) == nil)
        #expect(try BlockState(value: store.get(LeaseKeys(network: net).block(Subnet("10.77.0.0/26")!))!.string, size: 64)!
            .used.filter { $0 }.count == 1)
    }

    @Test func requestedAddressesComeFromTheirBlock() throws {
        let store = EtcdLikeStore()
        let a = manager(store, host: "a"), b = manager(store, host: "b")
        _ = try a.acquire(for: attachment("a0"), from: sets)
        let wanted = IPAddress("10.77.0.9")!
        #expect(try b.acquire(for: attachment("b0"), from: sets, requested: [wanted]).map(\.address) == [wanted])
        #expect(throws: IPAMError.self) { try a.acquire(for: attachment("a1"), from: sets, requested: [wanted]) }
    }

    @Test func aWarmAllocatorReadsAgainBeforeRefusingARequestedAddress() throws {
        let store = EtcdLikeStore()
        let warm = manager(store, host: "a")
        let wanted = try warm.acquire(for: attachment("x"), from: sets)[0].address
        // Another process of the same host releases it; the warm allocator's blocks still show it held.
        try manager(store, host: "a").release(attachment("x"))
        #expect(try warm.acquire(for: attachment("y"), from: sets, requested: [wanted]).map(\.address) == [wanted])
        #expect(throws: IPAMError.self) { try warm.acquire(for: attachment("z"), from: sets, requested: [wanted]) }
    }

    @Test func aRestoredLeaseIsCountedInItsBlock() throws {
        let store = EtcdLikeStore()
        let leases = manager(store, host: "a")
        let lost = try leases.acquire(for: attachment("lost"), from: sets)[0].address
        // The store loses the lease, its block's count with it; the host brings the lease back.
        let blockKey = LeaseKeys(network: net).block(Subnet("10.77.0.0/26")!)
        let before = try store.get(blockKey)!.string
        try leases.release(attachment("lost"))
        #expect(try store.get(blockKey)!.string != before)
        #expect(try leases.restore(attachment("lost"), holding: [lost], displacing: attachment("new")))
        let next = try leases.acquire(for: attachment("new"), from: sets)[0].address
        #expect(next != lost)
        #expect(try BlockState(value: store.get(LeaseKeys(network: net).block(Subnet("10.77.0.0/26")!))!.string, size: 64)!
            .used.filter { $0 }.count == 2)
    }

    @Test func gcOfManyLeasesFitsEtcdsTransactionLimit() throws {
        let store = EtcdLikeStore()
        let leases = manager(store, host: "a")
        for n in 0..<150 { _ = try leases.acquire(for: attachment("g\(n)"), from: sets) }
        let kept = Set((0..<5).map { attachment("g\($0)") })
        #expect(try leases.releaseAll(except: kept).count == 145)
        #expect(try store.range(prefix: LeaseKeys(network: net).addresses).kvs.count == 5)
        let plain = LeaseManager(store: store, network: net)
        for n in 0..<100 { _ = try plain.acquire(for: attachment("p\(n)"), from: sets) }
        #expect(try plain.releaseAll(except: []).count == 105)
    }

    @Test(arguments: [3, 48, 8192])
    func blockSizeIsAPowerOfTwoInBounds(size: Int) {
        #expect(throws: IPAMError.self) { try config(#"{"subnet":"10.77.0.0/24","blockSize":\#(size)}"#) }
    }
}
