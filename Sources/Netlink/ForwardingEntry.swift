import Addressing

/// An entry of a device's own forwarding database (`bridge fdb ... self`): for a VXLAN device, which
/// remote tunnel endpoint a MAC address lives behind.
public struct ForwardingEntry: Hashable, Sendable {
    public var mac: MACAddress
    /// `NDA_DST`: the remote VTEP; `nil` for entries that name none.
    public var destination: IPAddress?
    /// The device the entry belongs to.
    public var index: Int

    public init(mac: MACAddress, destination: IPAddress?, index: Int) {
        self.mac = mac
        self.destination = destination
        self.index = index
    }
}
