import Addressing
import CNI

/// Where a network's leases live in the store. Two keys describe a lease, written together:
///
///     ipam/<network>/ips/<address>                  -> "<containerID>\n<ifname>"
///     ipam/<network>/owners/<containerID>/<ifname>  -> "<address>\n<address>..."
///
/// The owner key makes release and lookup by attachment one read instead of a scan, and the
/// per-address key makes "is this address free" one read. `last/<n>` remembers where range set n's
/// round robin stopped.
struct LeaseKeys {
    let prefix: String

    init(network: NetworkName) {
        prefix = "ipam/\(network)/"
    }

    func address(_ address: IPAddress) -> String { addresses + address.description }

    var addresses: String { prefix + "ips/" }

    /// The address an address key names, or `nil` for a key of another shape.
    func address(fromAddressKey key: String) -> IPAddress? {
        key.hasPrefix(addresses) ? IPAddress(key.dropFirst(addresses.count)) : nil
    }

    func owner(_ attachment: Attachment) -> String {
        prefix + "owners/\(attachment.containerID)/\(attachment.interface)"
    }

    var owners: String { prefix + "owners/" }

    func lastReserved(rangeSet index: Int) -> String { prefix + "last/\(index)" }

    /// The attachment an owner key names, or `nil` for a key of another shape.
    func attachment(fromOwnerKey key: String) -> Attachment? {
        guard key.hasPrefix(owners) else { return nil }
        let parts = key.dropFirst(owners.count).split(separator: "/")
        guard parts.count == 2, let id = ContainerID(String(parts[0])),
              let name = InterfaceName(String(parts[1])) else { return nil }
        return Attachment(containerID: id, interface: name)
    }

    static func ownerValue(_ attachment: Attachment) -> String {
        "\(attachment.containerID)\n\(attachment.interface)"
    }

    /// The attachment an address key's value names, or `nil` for a value of another shape.
    static func attachment(fromAddressValue value: String) -> Attachment? {
        let parts = value.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 2, let id = ContainerID(String(parts[0])),
              let name = InterfaceName(String(parts[1])) else { return nil }
        return Attachment(containerID: id, interface: name)
    }

    /// The owner key's value: the attachment's addresses, one per line.
    static func ownerValue(holding addresses: [IPAddress]) -> String {
        // Not `joined(separator:)`, which the standard library does not specialize: its first call in
        // a process scans every protocol conformance in the binary (about 70,000 instructions).
        addresses.reduce(into: "") { text, address in
            text += text.isEmpty ? address.description : "\n\(address)"
        }
    }

    static func addresses(fromOwnerValue value: String) -> [IPAddress] {
        value.split(separator: "\n").compactMap { IPAddress($0) }
    }
}
