import Addressing
import CNI
import Netlink
import Overlay

/// The overlay's VXLAN device on this host (in l2 mode a port of the overlay's bridge): created on
/// first use, without learning and answering ARP and neighbour solicitations from its own table.
/// Safe against concurrent first ADDs: whoever loses the race finds the winner's device and
/// verifies it.
struct OverlayDevice {
    let link: Link
    /// Whether this ADD created it (and so must enter the other hosts' containers now, before the
    /// agent has seen it).
    let createdHere: Bool
    /// The VTEP and MTU of the host's containers on the overlay.
    let endpoint: TunnelEndpoint

    /// The device, and what its containers need of it. Once it exists it tells the VTEP and MTU: the
    /// underlay is read only to create it, or to confirm what the configuration asks beyond it.
    ///
    /// - Parameter bridge: the bridge the device is a port of, ensured for containers of the
    ///   endpoint's MTU (l2 mode: it answers ARP from its table); `nil` in routed mode, where it is
    ///   a port of nothing and routes carry the traffic.
    /// - Parameter beforeMaking: run when there is no device yet, before anything is made (the
    ///   bridge included): what fails there leaves the host as it was.
    static func ensure(_ config: VXLANConfig, on host: NetlinkSocket, beforeMaking: () throws -> Void = {},
                       bridge: (TunnelEndpoint) throws -> Link?) throws -> OverlayDevice {
        let name = OverlayDeviceName.make(vni: config.vni)
        let existing = try host.link(named: name)
        if let existing, let endpoint = TunnelEndpoint(device: existing, config) {
            return try OverlayDevice(verifying: existing, config, bridge: try bridge(endpoint), endpoint: endpoint,
                                     createdHere: false, on: host)
        }
        if existing == nil { try beforeMaking() }
        let underlay = try Underlay.resolve(config, on: host)
        let endpoint = TunnelEndpoint(underlay)
        let bridge = try bridge(endpoint)
        if let existing {
            return try OverlayDevice(verifying: existing, config, bridge: bridge, endpoint: endpoint, createdHere: false,
                                     on: host)
        }
        let settings = VXLANSettings(vni: config.vni, port: config.port, local: underlay.vtep,
                                     underlayIndex: underlay.link.index, learning: false, proxy: bridge != nil)
        var createdHere = true
        do {
            try host.createVXLAN(name: name, settings, mac: .randomLocal(), mtu: underlay.mtu, masterIndex: bridge?.index)
        } catch NetlinkError.exists {
            createdHere = false  // A concurrent ADD created it first.
        }
        guard let created = try host.link(named: name) else {
            throw CNIError(.tryAgainLater, "vxlan: \(name) vanished while it was being created")
        }
        return try OverlayDevice(verifying: created, config, bridge: bridge, endpoint: endpoint, createdHere: createdHere,
                                 on: host)
    }

    private init(verifying link: Link, _ config: VXLANConfig, bridge: Link?, endpoint: TunnelEndpoint, createdHere: Bool,
                 on host: NetlinkSocket) throws {
        guard let settings = link.vxlan, settings.vni == config.vni, settings.port == config.port else {
            throw CNIError(.invalidNetworkConfig, "vxlan: \(link.name) exists and is not the VXLAN device of VNI \(config.vni) on port \(config.port)",
                           details: "remove that interface")
        }
        if let bridge, link.masterIndex != bridge.index {
            guard link.masterIndex == nil else {
                throw CNIError(.invalidNetworkConfig,
                               "vxlan: VNI \(config.vni) is already in use on this host by another bridge than \(bridge.name)",
                               details: "every network on a host needs its own \"vni\"")
            }
            try host.setMaster(index: link.index, masterIndex: bridge.index)
        } else if bridge == nil, link.masterIndex != nil {
            throw CNIError(.invalidNetworkConfig, "vxlan: VNI \(config.vni) is already in use on this host by an l2 overlay",
                           details: "every network on a host needs its own \"vni\"")
        }
        if !link.isUp { try host.setUp(index: link.index) }
        self.link = link
        self.createdHere = createdHere
        self.endpoint = endpoint
    }
}
