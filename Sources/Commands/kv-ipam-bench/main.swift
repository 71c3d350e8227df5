// The benchmark's allocator (integration/bench/bench_etcd.py): leases `count` addresses in a loop
// through the IPAM module as host `hostID`, on one store connection, and prints how long that took.
//
//     kv-ipam-bench '<ipam section JSON>' <network> <hostID> <count> [--floor]
//
// With `--floor` each step is instead the least an allocation can send: one transaction creating one
// key if absent, on the same connection, so that the store's own ceiling shows beside the allocator.
// It reads one line from stdin before it starts, so that several start together.
import Addressing
import Glibc
import IPAM
import Identity
import KV
import Stores

struct Settings: Decodable {
    let store: StoreConfiguration

    init(from decoder: any Decoder) throws { store = try StoreConfiguration(from: decoder) }
}

func fail(_ message: String, code: Int32) -> Never {
    var text = message + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(code)
}

let arguments = CommandLine.arguments
let floor = arguments.count == 6 && arguments[5] == "--floor"
guard arguments.count == 5 || floor, let network = NetworkName(arguments[2]), let count = Int(arguments[4]) else {
    fail("usage: kv-ipam-bench '<ipam section JSON>' <network> <hostID> <count> [--floor]", code: 2)
}
do {
    let (config, settings) = try IPAMConfig.decode(networkConfig: Array("{\"ipam\": \(arguments[1])}".utf8),
                                                   with: Settings.self)
    let store = try openStore(settings.store)
    let leases = LeaseManager(store: store, network: network,
                              blocks: BlockAllocator(store: store, network: network, rangeSets: config.rangeSets,
                                                     layout: BlockLayout(hostID: arguments[3], size: config.blockSize)))
    _ = readLine()
    let clock = ContinuousClock()
    let start = clock.now
    for n in 0..<count {
        if floor {
            let key = "floor/\(arguments[3])/\(n)"
            _ = try store.commit(Transaction(compares: [.absent(key)], success: [.put(key, Array("x".utf8))]))
            continue
        }
        let attachment = Attachment(containerID: ContainerID("\(arguments[3])-\(n)")!, interface: InterfaceName("eth0")!)
        _ = try leases.acquire(for: attachment, from: config.rangeSets)
    }
    let elapsed = clock.now - start
    print(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
} catch {
    fail("kv-ipam-bench: \(error)", code: 1)
}
