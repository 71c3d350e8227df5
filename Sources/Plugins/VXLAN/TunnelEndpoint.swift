import Addressing
import Netlink

/// What the host's containers on an overlay need of its tunnel: the VTEP address their records
/// name, and the MTU left inside the tunnel.
struct TunnelEndpoint {
    let vtep: IPAddress
    let mtu: Int

    init(_ underlay: Underlay) {
        vtep = underlay.vtep
        mtu = underlay.mtu
    }

    /// What the overlay's existing VXLAN device tells, as it was checked against the underlay when
    /// it was made; `nil` when `config` asks for what only the underlay can confirm (another VTEP
    /// address, a larger MTU than the device's).
    init?(device: Link, _ config: VXLANConfig) {
        guard let vtep = device.vxlan?.local, config.vtepAddress == nil || config.vtepAddress == vtep,
              config.mtu.map({ $0 <= device.mtu }) ?? true else { return nil }
        self.vtep = vtep
        mtu = config.mtu ?? device.mtu
    }
}
