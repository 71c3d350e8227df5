import Addressing
import Foundation
import KV
import Testing
@testable import IPAM

/// The blocks a process leased from, kept for the next one: a hint that spares a read, never a
/// source of truth.
@Suite final class BlockMemoryTests {
    let sets = try! config(#"{"subnet":"10.77.0.0/24"}"#).rangeSets
    let directory = FileManager.default.temporaryDirectory.path + "/ipamtests-blocks-" + UUID().uuidString
    var memory: BlockMemoryFile { BlockMemoryFile(path: directory + "/data/ipam-blocks/blocks") }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new allocator, as each plugin run makes one, sharing the file memory.
    func run(_ store: EtcdLikeStore, host: String = "a") -> LeaseManager {
        LeaseManager(store: store, network: net,
                     blocks: BlockAllocator(store: store, network: net, rangeSets: sets,
                                            layout: BlockLayout(hostID: host, size: 64), memory: memory))
    }

    @Test func aRunAfterAnotherCommitsWithoutReadingTheBlocks() throws {
        let store = EtcdLikeStore()
        _ = try run(store).acquire(for: attachment("x"), from: sets)
        let (ranges, commits) = (store.ranges, store.commits)
        _ = try run(store).acquire(for: attachment("y"), from: sets)
        #expect(store.ranges == ranges)
        #expect(store.commits == commits + 1)
    }

    @Test func aStaleMemoryCostsOneFailedCommitAndHandsOutNoAddressTwice() throws {
        let store = EtcdLikeStore()
        let x = try run(store).acquire(for: attachment("x"), from: sets)
        let stale = try Data(contentsOf: URL(fileURLWithPath: memory.path))
        let y = try run(store).acquire(for: attachment("y"), from: sets)
        try stale.write(to: URL(fileURLWithPath: memory.path))
        let commits = store.commits
        let z = try run(store).acquire(for: attachment("z"), from: sets)
        #expect(Set((x + y + z).map(\.address)).count == 3)
        #expect(store.commits == commits + 2)
    }

    @Test func anotherHostsWriteToOurBlockIsNotOverwritten() throws {
        let store = EtcdLikeStore()
        _ = try run(store).acquire(for: attachment("x"), from: sets)
        // Host b, finding no free block, takes from ours: our memory does not know.
        let wanted = IPAddress("10.77.0.9")!
        _ = try LeaseManager(store: store, network: net,
                             blocks: BlockAllocator(store: store, network: net, rangeSets: sets,
                                                    layout: BlockLayout(hostID: "b", size: 64)))
            .acquire(for: attachment("b0"), from: sets, requested: [wanted])
        for n in 0..<20 { _ = try run(store).acquire(for: attachment("a\(n)"), from: sets) }
        let block = try #require(try store.get(LeaseKeys(network: net).block(Subnet("10.77.0.0/26")!)))
        #expect(try #require(BlockState(value: block.string, size: 64)).isUsed(wanted, in: Subnet("10.77.0.0/26")!))
    }

    @Test(arguments: ["", "garbage", "12 999 ipam/testnet/blocks/10.77.0.0/26\nshort", "-3 1 k\nx", "7 2 k"])
    func aMemoryThatCannotBeParsedRecallsNothing(_ text: String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/data/ipam-blocks", withIntermediateDirectories: true)
        try text.write(toFile: memory.path, atomically: false, encoding: .utf8)
        #expect(memory.recall().isEmpty)
        let store = EtcdLikeStore()
        #expect(try run(store).acquire(for: attachment("x"), from: sets).count == 1)
    }

    @Test func whatIsKeptIsRecalled() {
        let blocks = [KeyValue(key: "ipam/n/blocks/10.0.0.0/26", value: Array("a\n3\n0110".utf8), createRevision: 0,
                               modRevision: 41, version: 0),
                      KeyValue(key: "k2", value: [], createRevision: 0, modRevision: 7, version: 0)]
        memory.keep(blocks)
        #expect(memory.recall() == blocks)
    }
}
