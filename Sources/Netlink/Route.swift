import Addressing
import CNetlink

/// A unicast route.
public struct Route: Hashable, Sendable {
    public var destination: Subnet
    /// The next hop; `nil` for a directly connected destination.
    public var gateway: IPAddress?
    /// The interface to send through; may be `nil` when a gateway determines it.
    public var outputIndex: Int?
    public var scope: RouteScope
    /// The routing table (`Route.mainTable` unless policy routing is involved).
    public var table: Int
    /// Path MTU for this route (the `mtu` metric); `nil` to use the interface's.
    public var mtu: Int?
    /// The route metric. The kernel reports IPv6 routes added without one as 1024.
    public var priority: Int?
    /// Whether the gateway is taken to be on the link even though no address of the interface covers
    /// it (`onlink`): a route through a tunnel device to a peer's address.
    public var onLink: Bool = false

    /// The kernel's main table (`RT_TABLE_MAIN`), where routes go by default.
    public static let mainTable = Int(RT_TABLE_MAIN.rawValue)

    /// - Parameter scope: defaults to `.link` for a route without a gateway and `.universe` otherwise, as
    ///   `ip route add` chooses.
    public init(destination: Subnet, gateway: IPAddress? = nil, outputIndex: Int? = nil,
                scope: RouteScope? = nil, table: Int = Route.mainTable, mtu: Int? = nil, priority: Int? = nil,
                onLink: Bool = false) {
        self.onLink = onLink
        self.destination = destination
        self.gateway = gateway
        self.outputIndex = outputIndex
        self.scope = scope ?? (gateway == nil ? .link : .universe)
        self.table = table
        self.mtu = mtu
        self.priority = priority
    }

    public var family: AddressFamily { destination.family }
}

/// How far a route's destination is (`RT_SCOPE_*`).
public enum RouteScope: UInt8, Sendable {
    /// Reached through a gateway.
    case universe = 0
    case site = 200
    /// Directly on the link.
    case link = 253
    /// On this host.
    case host = 254
    case nowhere = 255
}

extension Route: CustomStringConvertible {
    public var description: String {
        var text = "\(destination)"
        if let gateway { text += " via \(gateway)" }
        if onLink { text += " onlink" }
        if let outputIndex { text += " dev #\(outputIndex)" }
        if table != Route.mainTable { text += " table \(table)" }
        return text
    }
}
