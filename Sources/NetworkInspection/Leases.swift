import Addressing
import CNI
import DNSRecords
import Glibc
import IPAM
import Identity
import KV
import POSIX
import Stores

/// One attachment's addresses as the network's IPAM recorded them.
public struct Lease: Sendable, Encodable {
    public let network: String
    public let containerID: String
    public let ifname: String
    public let addresses: [String]
    /// `kv-ipam` (the store) or `host-local` (its lease files).
    public let source: String
}

/// Reads leases wherever the network's IPAM keeps them: kv-ipam's store through IPAM's lease
/// reader, host-local's directory of one file per address.
public enum LeaseReader {
    /// The network's leases; empty when its IPAM keeps none we can read, or has written none yet.
    public static func leases(of network: NetworkDescription) throws -> [Lease] {
        if let store = network.store {
            guard let opened = try openExistingStore(store) else { return [] }
            return try LeaseRecords(store: opened).leases(on: network.list.name).map {
                Lease(network: network.name, containerID: $0.attachment.containerID.rawValue, ifname: $0.attachment.interface.rawValue,
                      addresses: $0.addresses.map(\.description), source: "kv-ipam")
            }
        }
        if let directory = network.hostLocalDirectory { return try hostLocalLeases(network.name, in: directory) }
        return []
    }

    /// The DNS records the network's attachments registered, by attachment text.
    public static func dnsRecords(of network: NetworkDescription) throws -> [String: DNSRecord] {
        guard let store = network.dnsStore, let opened = try openExistingStore(store) else { return [:] }
        var records: [String: DNSRecord] = [:]
        for record in try DNSRecordStore(store: opened).records(on: network.list.name) { records[record.owner.text] = record }
        return records
    }

    /// host-local keeps one file per leased address, named by the address, holding the container
    /// ID and interface name on two lines (`\r\n` between them).
    static func hostLocalLeases(_ network: String, in directory: String) throws -> [Lease] {
        guard let handle = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(handle) {
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) })
        }
        closedir(handle)
        var byOwner: [String: (String, String, [String])] = [:]
        for name in names.sorted() where IPAddress(name) != nil {
            guard let bytes = try? RegularFile.contents(atPath: directory + "/" + name, limit: 4096) else { continue }
            let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).map(String.init)
            let id = lines.first ?? "", ifname = lines.count > 1 ? lines[1] : ""
            byOwner["\(id)/\(ifname)", default: (id, ifname, [])].2.append(name)
        }
        return byOwner.keys.sorted().map { key in
            let (id, ifname, addresses) = byOwner[key]!
            return Lease(network: network, containerID: id, ifname: ifname, addresses: addresses, source: "host-local")
        }
    }
}
