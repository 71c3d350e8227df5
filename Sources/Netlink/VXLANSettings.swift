import Addressing

/// A VXLAN device's tunnel: which overlay it carries and how it reaches its peers.
public struct VXLANSettings: Hashable, Sendable {
    /// The VXLAN network identifier (24 bits).
    public var vni: UInt32
    /// The UDP destination port (IANA's 4789 unless told otherwise).
    public var port: UInt16
    /// The source address of encapsulated packets (this host's VTEP); the kernel picks one if `nil`.
    public var local: IPAddress?
    /// The underlay link packets leave through; its MTU sets the device's (minus the headers) when no
    /// MTU is given.
    public var underlayIndex: Int?
    /// Whether the kernel learns remote MACs from received packets. Off when a control plane enters
    /// every peer itself.
    public var learning: Bool
    /// Whether the device answers ARP and neighbour solicitations from its own neighbour table
    /// instead of sending them across the overlay.
    public var proxy: Bool

    public static let largestVNI: UInt32 = (1 << 24) - 1
    public static let defaultPort: UInt16 = 4789

    public init(vni: UInt32, port: UInt16 = defaultPort, local: IPAddress? = nil, underlayIndex: Int? = nil,
                learning: Bool = false, proxy: Bool = true) {
        self.vni = vni
        self.port = port
        self.local = local
        self.underlayIndex = underlayIndex
        self.learning = learning
        self.proxy = proxy
    }
}
