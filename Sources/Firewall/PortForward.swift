import Addressing

/// A transport protocol a port can be published for.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case tcp, udp, sctp

    /// The IP protocol number.
    public var number: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        case .sctp: 132
        }
    }

    public init?(number: UInt8) {
        guard let match = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = match
    }

    public var description: String { rawValue }
}

/// A published port: traffic for `hostPort` (on `hostAddress`, or on every local address of the
/// container's family) goes to `containerPort` of the container's address.
public struct PortForward: Hashable, Sendable, CustomStringConvertible {
    public let hostAddress: IPAddress?
    public let proto: TransportProtocol
    public let hostPort: UInt16
    public let container: IPAddress
    public let containerPort: UInt16

    /// `nil` when `hostAddress` is of another family than `container`: such a mapping cannot be made.
    public init?(hostAddress: IPAddress?, proto: TransportProtocol, hostPort: UInt16, container: IPAddress,
                 containerPort: UInt16) {
        if let hostAddress, hostAddress.family != container.family { return nil }
        self.hostAddress = hostAddress
        self.proto = proto
        self.hostPort = hostPort
        self.container = container
        self.containerPort = containerPort
    }

    public var family: AddressFamily { container.family }

    /// "tcp port 8080 on 192.0.2.1", the part that must be unique on a host.
    public var hostSide: String {
        let on = hostAddress.map { "\($0)" } ?? (family == .ipv4 ? "every IPv4 address" : "every IPv6 address")
        return "\(proto) port \(hostPort) on \(on)"
    }

    public var description: String { "\(hostSide) -> \(container) port \(containerPort)" }
}
