import Addressing
import Identity

/// Where a network's leases live in the store. Two keys describe a lease, written together:
///
///     ipam/<network>/ips/<address>                  -> "<network>/<containerID>/<ifname>"
///     ipam/<network>/owners/<containerID>/<ifname>  -> "<address>\n<address>..."
///
/// The owner key makes release and lookup by attachment one read instead of a scan, and the
/// per-address key makes "is this address free" one read. `last/<n>` remembers where range set n's
/// round robin stopped.
struct LeaseKeys {
    /// Where the keys of every network live.
    static let root = "ipam/"

    let network: NetworkName
    let prefix: String

    init(network: NetworkName) {
        self.network = network
        prefix = Self.root + "\(network)/"
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

    /// The attachment an owner key of this network names, or `nil` for a key of another shape.
    func attachment(fromOwnerKey key: String) -> Attachment? {
        guard let owner = Self.owner(fromKey: key), owner.network == network else { return nil }
        return owner.attachment
    }

    /// The network and attachment an owner key of any network names, or `nil` for a key of another
    /// shape. Split at the scalar `/`, as `AttachmentID` is: a combining mark after a `/` would hide
    /// it from a split into characters.
    static func owner(fromKey key: String) -> AttachmentID? {
        guard key.unicodeScalars.starts(with: root.unicodeScalars) else { return nil }
        let parts = key.unicodeScalars.dropFirst(root.unicodeScalars.count)
            .split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, String(parts[1]) == "owners" else { return nil }
        return AttachmentID(text: "\(String(parts[0]))/\(String(parts[2]))")
    }

    /// The address key's value: the holder's canonical text.
    func addressValue(_ attachment: Attachment) -> String {
        AttachmentID(network: network, attachment: attachment).text
    }

    /// The attachment an address key's value names, or `nil` for a value of another shape. Values
    /// written before the canonical text (`<containerID>\n<ifname>`) are read too.
    func attachment(fromAddressValue value: String) -> Attachment? {
        if let id = AttachmentID(text: value) { return id.network == network ? id.attachment : nil }
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

extension LeaseKeys {
    /// Where the network's blocks are (see `BlockState`).
    var blocks: String { prefix + "blocks/" }

    func block(_ block: Subnet) -> String { blocks + block.description }

    /// The block a block key names, or `nil` for a key of another shape.
    func block(fromKey key: String) -> Subnet? {
        key.hasPrefix(blocks) ? Subnet(key.dropFirst(blocks.count)) : nil
    }
}
