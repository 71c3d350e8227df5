import Addressing

/// One thing an attachment asks of the firewall. A plugin describes everything its attachment
/// needs as a list of these, and `Firewall.replace` makes exactly that list true.
public enum FirewallEntry: Hashable, Sendable, CustomStringConvertible {
    /// Traffic from the address to the rest of its own subnet belongs to its network: it is never
    /// masqueraded and never caught by isolation. Needed by both `masquerade` and `isolate`.
    case sameNetwork(InterfaceAddress)
    /// Masquerade the address's traffic leaving its subnet (`ipMasq`).
    case masquerade(IPAddress)
    /// The address belongs to an isolated network: it neither reaches nor is reached from the
    /// addresses of other isolated networks, published ports aside.
    case isolate(IPAddress)
    /// Frames entering the bridge through `port` must carry `mac` as their source (`macspoofchk`).
    case spoofCheck(port: InterfaceName, mac: MACAddress)
    /// A published port.
    case publish(PortForward)
    /// Published-port traffic from `source` to `container` is masqueraded, so that its replies
    /// return through the host: hairpin (the container's own subnet), localhost (127.0.0.0/8) or
    /// everything (`masqAll`).
    case masqueradePublished(source: Subnet, container: IPAddress)
    /// Packets forwarded from `port`, a tunnel device of a routed network, must come from
    /// `network` (IPv4); any other is dropped.
    case tunnelSources(port: InterfaceName, network: Subnet)

    public var description: String {
        switch self {
        case .sameNetwork(let address): "same-network \(address)"
        case .masquerade(let address): "masquerade \(address)"
        case .isolate(let address): "isolate \(address)"
        case let .spoofCheck(port, mac): "spoof check \(port) \(mac)"
        case .publish(let forward): "publish \(forward)"
        case let .masqueradePublished(source, container): "masquerade published \(source) -> \(container)"
        case let .tunnelSources(port, network): "tunnel \(port) from \(network)"
        }
    }

    /// The set elements that implement the entry.
    var elements: [SetElement] {
        switch self {
        case .sameNetwork(let address):
            let subnet = address.subnet
            return [SetElement(.local(address.family),
                               key: [.address(address.address), .address(subnet.network)],
                               keyEnd: [.address(address.address), .address(subnet.lastAddress)],
                               summary: "\(address.address) within \(subnet)")]
        case .masquerade(let address):
            return [SetElement(.masquerade(address.family), key: [.address(address)],
                               summary: "masquerading of \(address)")]
        case .isolate(let address):
            return [SetElement(.isolated(address.family), key: [.address(address)],
                               summary: "isolation of \(address)")]
        case let .spoofCheck(port, mac):
            return [
                SetElement(.spoofCheckedPorts, key: [.interface(port)], summary: "MAC spoof check on \(port)"),
                SetElement(.spoofCheckAllowed, key: [.interface(port), .mac(mac)],
                           summary: "source MAC \(mac) on \(port)"),
            ]
        case .publish(let forward):
            let portKey: [Field] = [.transport(forward.proto), .port(forward.hostPort)]
            let value: [Field] = [.address(forward.container), .port(forward.containerPort)]
            if let host = forward.hostAddress {
                return [SetElement(.publishOn(forward.family), key: [.address(host)] + portKey, value: value,
                                   summary: forward.hostSide)]
            }
            return [SetElement(.publish(forward.family), key: portKey, value: value, summary: forward.hostSide)]
        case let .masqueradePublished(source, container):
            return [SetElement(.publishMasquerade(container.family),
                               key: [.address(source.network), .address(container)],
                               keyEnd: [.address(source.lastAddress), .address(container)],
                               summary: "masquerading of published traffic from \(source) to \(container)")]
        case let .tunnelSources(port, network):
            return [
                SetElement(.tunnelPorts, key: [.interface(port)], summary: "source check on tunnel \(port)"),
                SetElement(.tunnelSources4, key: [.interface(port), .address(network.network)],
                           keyEnd: [.interface(port), .address(network.lastAddress)],
                           summary: "sources \(network) on tunnel \(port)"),
            ]
        }
    }
}
