import Addressing
import Identity

/// ADD, DEL or CHECK, with every input validated.
public struct AttachmentRequest<Config> {
    public let command: CNICommand
    public let attachment: Attachment
    /// The attachment on this request's network: what every record of it is keyed by.
    public let attachmentID: AttachmentID
    /// CNI_NETNS; `nil` only on DEL, where the spec makes it optional. On ADD and CHECK the runner
    /// has made sure it exists (code 3 otherwise); on DEL it may name a namespace that is already
    /// gone, and the plugin must still release what it holds outside it.
    public let netns: String?
    /// CNI_ARGS, parsed.
    public let args: CNIArgs
    /// CNI_PATH, split on `:`.
    public let searchPath: [String]
    /// The keys every plugin shares.
    public let network: NetworkConfig
    /// The plugin's own keys.
    public let config: Config
    /// Stdin exactly as received, for delegates (IPAM receives the whole config).
    public let stdin: [UInt8]

    public var containerID: ContainerID { attachment.containerID }
    public var interface: InterfaceName { attachment.interface }

    /// CNI_NETNS of an ADD or CHECK, which the runner never starts without one (code 4). Only DEL
    /// may lack it: DEL reads `netns`.
    public var netnsOfAddOrCheck: String {
        guard let netns else {
            preconditionFailure("\(command.rawValue) has no CNI_NETNS; only ADD and CHECK must have one")
        }
        return netns
    }

    public init(command: CNICommand, attachment: Attachment, netns: String?, args: CNIArgs,
                searchPath: [String], network: NetworkConfig, config: Config, stdin: [UInt8]) {
        self.command = command
        self.attachment = attachment
        attachmentID = AttachmentID(network: network.name, attachment: attachment)
        self.netns = netns
        self.args = args
        self.searchPath = searchPath
        self.network = network
        self.config = config
        self.stdin = stdin
    }
}

/// GC or STATUS: about the network as a whole, with no attachment.
public struct NetworkRequest<Config> {
    public let command: CNICommand
    public let searchPath: [String]
    public let network: NetworkConfig
    public let config: Config
    public let stdin: [UInt8]

    /// GC: the attachments still in use (`cni.dev/valid-attachments`, or the legacy
    /// `cni.dev/attachments`). Everything else the plugin owns on this network is stale.
    public var validAttachments: Set<Attachment> { Set(network.validAttachments ?? []) }

    public init(command: CNICommand, searchPath: [String], network: NetworkConfig, config: Config,
                stdin: [UInt8]) {
        self.command = command
        self.searchPath = searchPath
        self.network = network
        self.config = config
        self.stdin = stdin
    }
}

/// `CNI_COMMAND`.
public enum CNICommand: String, Sendable {
    case add = "ADD", del = "DEL", check = "CHECK", gc = "GC", status = "STATUS", version = "VERSION"
}
