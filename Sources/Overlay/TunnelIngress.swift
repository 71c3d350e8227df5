import Addressing
import Firewall
import Identity

/// What a routed overlay's VXLAN device takes in: packets of its own network only. Every host
/// routes between the overlays it is on, so a peer would otherwise carry a packet from one of its
/// overlays into another's tunnel (its isolation sees no container of this host in it), and two
/// overlays with different VNIs would reach each other.
public enum TunnelIngress {
    /// The owner role of the device's entry: one owner per device, named after it.
    public static let role = FirewallOwner.Role(rawValue: "vxlantunnel")!

    /// Lets the firewall forward from `device` only packets from `network`, the overlay's subnet.
    public static func restrict(_ device: InterfaceName, to network: Subnet, of name: NetworkName) throws {
        try Firewall().replace(owner(device, name), with: [.tunnelSources(port: device, network: network)])
    }

    /// The device's owner: the network's attachment whose container and interface are the device.
    static func owner(_ device: InterfaceName, _ name: NetworkName) -> FirewallOwner {
        FirewallOwner(role: role, attachment: AttachmentID(network: name, containerID: ContainerID(device.rawValue)!,
                                                           interface: device))
    }
}
