import Addressing
import Identity
import JSON

/// What every host needs to know of one container on an overlay network to reach it: the record an
/// ADD writes to the shared store and its DEL removes.
public struct OverlayAttachment: Codable, Hashable, Sendable {
    /// The host the container runs on (the store's host ID).
    public var host: String
    /// That host's tunnel endpoint.
    public var vtep: IPAddress
    /// The overlay's VXLAN network identifier.
    public var vni: UInt32
    /// The container interface's MAC address.
    public var mac: MACAddress
    /// The container interface's addresses, with their subnets' prefix lengths.
    public var ips: [InterfaceAddress]
    /// Whether the network is kept apart from other isolated networks (`networkIsolation`).
    public var isolated: Bool

    public init(host: String, vtep: IPAddress, vni: UInt32, mac: MACAddress, ips: [InterfaceAddress], isolated: Bool) {
        self.host = host
        self.vtep = vtep
        self.vni = vni
        self.mac = mac
        self.ips = ips
        self.isolated = isolated
    }
}

extension OverlayAttachment {
    /// The record as stored.
    public func encoded() throws -> [UInt8] { try JSONCodec.encode(self) }

    /// The record a stored value holds; `nil` for a value that is not one (written by something
    /// else, or by a newer version), which readers skip rather than fail on.
    public init?(stored value: [UInt8]) {
        guard let record = try? JSONCodec.decode(OverlayAttachment.self, from: value) else { return nil }
        self = record
    }
}
