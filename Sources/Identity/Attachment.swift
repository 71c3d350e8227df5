import Addressing

/// One container attachment: what ADD, DEL and CHECK act on, and what GC's valid list names.
public struct Attachment: Hashable, Sendable, Codable {
    public let containerID: ContainerID
    public let interface: InterfaceName

    public init(containerID: ContainerID, interface: InterfaceName) {
        self.containerID = containerID
        self.interface = interface
    }

    enum CodingKeys: String, CodingKey {
        case containerID
        case interface = "ifname"
    }
}
