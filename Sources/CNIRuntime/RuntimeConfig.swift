import Addressing
import Identity
import JSON

/// What a runtime supplies for one attachment besides the network's configuration (libcni's
/// `RuntimeConf`): who is attached, where, and the arguments and capability values for the plugins.
public struct RuntimeConfig: Sendable, Equatable {
    public var containerID: ContainerID
    /// The namespace's path; a DEL may name one that is already gone.
    public var netns: String?
    public var interface: InterfaceName
    /// `CNI_ARGS` pairs in the order given (the cache keeps them as libcni's `[[key, value]]`).
    public var args: [(key: String, value: String)]
    /// Capability values (`portMappings`, `mac`, `ips`, ...); each plugin gets in its `runtimeConfig`
    /// those its `capabilities` declare.
    public var capabilityArgs: [String: JSONValue]

    public init(containerID: ContainerID, netns: String?, interface: InterfaceName,
                args: [(key: String, value: String)] = [], capabilityArgs: [String: JSONValue] = [:]) {
        self.containerID = containerID
        self.netns = netns
        self.interface = interface
        self.args = args
        self.capabilityArgs = capabilityArgs
    }

    public var attachment: Attachment { Attachment(containerID: containerID, interface: interface) }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.containerID == rhs.containerID && lhs.netns == rhs.netns && lhs.interface == rhs.interface
            && lhs.args.map { [$0.key, $0.value] } == rhs.args.map { [$0.key, $0.value] }
            && lhs.capabilityArgs == rhs.capabilityArgs
    }
}
