import Addressing
import Netlink

/// The entries one host's VXLAN device of an overlay must hold for the containers of the other
/// hosts: each remote MAC behind its host's VTEP (forwarding database), each remote address at its
/// MAC (neighbour table, which the device answers ARP and neighbour solicitations from). Nothing
/// else: what is not here is removed.
public struct PeerEntries: Equatable, Sendable {
    /// MAC → the VTEP it lives behind.
    public var forwarding: [MACAddress: IPAddress] = [:]
    /// IP → its MAC.
    public var neighbours: [IPAddress: MACAddress] = [:]

    public init() {}

    /// The entries the attachments of overlay `vni` call for on host `host`: those of the other
    /// hosts, or of those among them `alive` names when given.
    public init(vni: UInt32, host: String, attachments: some Sequence<OverlayAttachment>, alive: Set<String>? = nil) {
        for attachment in attachments where attachment.vni == vni && attachment.host != host
            && alive.map({ $0.contains(attachment.host) }) ?? true {
            forwarding[attachment.mac] = attachment.vtep
            for ip in attachment.ips { neighbours[ip.address] = attachment.mac }
        }
    }

    public var isEmpty: Bool { forwarding.isEmpty && neighbours.isEmpty }
}

/// What `PeerEntries.apply` changed.
public struct PeerChanges: Equatable, Sendable {
    public var added = 0
    public var removed = 0
    /// The neighbour entries written, which local containers may be waiting to resolve.
    public var writtenNeighbours: [IPAddress: MACAddress] = [:]

    public init() {}

    public var isEmpty: Bool { added == 0 && removed == 0 }
}

extension PeerEntries {
    /// Makes device `index` hold exactly these entries: adds or corrects what is missing or wrong and,
    /// when `removingStale`, removes what is not called for. Entries are written before stale ones go,
    /// so a container that moved keeps being reachable.
    @discardableResult
    public func apply(toDevice index: Int, on socket: NetlinkSocket, removingStale: Bool = true) throws -> PeerChanges {
        var changes = PeerChanges()
        let presentForwarding = try socket.forwardingEntries(index: index)
        var forwardingByMAC: [MACAddress: IPAddress?] = [:]
        for entry in presentForwarding { forwardingByMAC[entry.mac] = entry.destination }
        for (mac, vtep) in forwarding where forwardingByMAC[mac] != .some(vtep) {
            try socket.replaceForwardingEntry(ForwardingEntry(mac: mac, destination: vtep, index: index))
            changes.added += 1
        }
        let presentNeighbours = try socket.neighbours(index: index).filter { $0.state.contains(.permanent) }
        var neighbourMACs: [IPAddress: MACAddress?] = [:]
        for entry in presentNeighbours { neighbourMACs[entry.address] = entry.mac }
        for (ip, mac) in neighbours where neighbourMACs[ip] != .some(mac) {
            try socket.replaceNeighbour(ip, mac: mac, index: index)
            changes.added += 1
            changes.writtenNeighbours[ip] = mac
        }
        guard removingStale else { return changes }
        for entry in presentNeighbours where neighbours[entry.address] == nil {
            if try socket.deleteNeighbour(entry.address, index: index) { changes.removed += 1 }
        }
        for entry in presentForwarding where forwarding[entry.mac] == nil {
            if try socket.deleteForwardingEntry(entry) { changes.removed += 1 }
        }
        return changes
    }
}
