import Addressing
import CNetlink

/// An ARP (IPv4) or NDP (IPv6) neighbour entry: which hardware address an IP address on a link has.
public struct Neighbour: Hashable, Sendable {
    public var address: IPAddress
    /// `nil` while the kernel is still resolving the address (or has failed to).
    public var mac: MACAddress?
    /// The link the entry belongs to.
    public var index: Int
    public var state: NeighbourState

    public init(address: IPAddress, mac: MACAddress?, index: Int, state: NeighbourState = .permanent) {
        self.address = address
        self.mac = mac
        self.index = index
        self.state = state
    }
}

/// Neighbour cache states (`NUD_*`).
public struct NeighbourState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighbourState(rawValue: UInt16(NUD_INCOMPLETE))
    public static let reachable = NeighbourState(rawValue: UInt16(NUD_REACHABLE))
    public static let stale = NeighbourState(rawValue: UInt16(NUD_STALE))
    public static let delay = NeighbourState(rawValue: UInt16(NUD_DELAY))
    public static let probe = NeighbourState(rawValue: UInt16(NUD_PROBE))
    public static let failed = NeighbourState(rawValue: UInt16(NUD_FAILED))
    public static let noARP = NeighbourState(rawValue: UInt16(NUD_NOARP))
    /// Configured by hand; never expires.
    public static let permanent = NeighbourState(rawValue: UInt16(NUD_PERMANENT))
}
