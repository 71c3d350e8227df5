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

    func address(_ address: IPAddress) -> String { prefix + "ips/\(address)" }

    func owner(_ attachment: Attachment) -> String {
        prefix + "owners/\(attachment.containerID)/\(attachment.interface)"
    }

    var owners: String { prefix + "owners/" }

    func lastReserved(rangeSet index: Int) -> String { prefix + "last/\(index)" }

    /// The attachment an owner key names, or `nil` for a key of another shape. Split at the scalar
    /// `/`, as `OwnerTag` is.
    func attachment(fromOwnerKey key: String) -> Attachment? {
        guard key.unicodeScalars.starts(with: owners.unicodeScalars) else { return nil }
        let parts = key.unicodeScalars.dropFirst(owners.unicodeScalars.count).split(separator: "/")
        guard parts.count == 2, let id = ContainerID(String(parts[0])),
              let name = InterfaceName(String(parts[1])) else { return nil }
        return Attachment(containerID: id, interface: name)
    }

    static func ownerValue(_ attachment: Attachment) -> String {
        "\(attachment.containerID)\n\(attachment.interface)"
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
