import Addressing
import CNI
import Identity
import POSIX

/// The environment a delegated plugin runs with (SPEC.md: "the same environment", with
/// CNI_COMMAND set by the call). The `CNI_*` values are explicit so that they always agree with the
/// request being served; everything else, CNI_NETNS_OVERRIDE and PATH included, is inherited.
public struct DelegateEnvironment: Sendable, Equatable {
    public var containerID: ContainerID?
    public var netns: String?
    public var interface: InterfaceName?
    public var args: CNIArgs
    public var searchPath: [String]
    /// The other variables; `nil` means this process's environment at the time of the call.
    /// Any `CNI_COMMAND`, `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`, `CNI_ARGS` or `CNI_PATH`
    /// in it is replaced by the values above (or removed where they are `nil` or empty).
    public var inherited: [String: String]?

    public init(containerID: ContainerID? = nil, netns: String? = nil, interface: InterfaceName? = nil,
                args: CNIArgs = CNIArgs(), searchPath: [String], inherited: [String: String]? = nil) {
        self.containerID = containerID
        self.netns = netns
        self.interface = interface
        self.args = args
        self.searchPath = searchPath
        self.inherited = inherited
    }

    /// What an ADD, DEL or CHECK hands on to its IPAM or other delegate.
    public init<Config>(_ request: AttachmentRequest<Config>, inherited: [String: String]? = nil) {
        self.init(containerID: request.containerID, netns: request.netns, interface: request.interface,
                  args: request.args, searchPath: request.searchPath, inherited: inherited)
    }

    /// What a GC or STATUS hands on: no attachment.
    public init<Config>(_ request: NetworkRequest<Config>, inherited: [String: String]? = nil) {
        self.init(searchPath: request.searchPath, inherited: inherited)
    }

    /// The complete environment for running a delegate with `command`.
    public func variables(for command: CNICommand) -> [String: String] {
        var variables = inherited ?? ProcessIO.environment()
        for name in ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS"] { variables[name] = nil }
        variables["CNI_COMMAND"] = command.rawValue
        variables["CNI_PATH"] = searchPath.joined(separator: ":")
        variables["CNI_CONTAINERID"] = containerID?.rawValue
        variables["CNI_NETNS"] = netns
        variables["CNI_IFNAME"] = interface?.rawValue
        if !args.values.isEmpty { variables["CNI_ARGS"] = args.description }
        return variables
    }
}
