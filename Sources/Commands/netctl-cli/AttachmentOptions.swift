import ArgumentParser
import NetCtlKit

/// NETWORK NETNS and what a runtime passes with them, as cnitool takes them.
struct AttachmentOptions: ParsableArguments {
    @Argument(help: "The network's name (its configuration's \"name\").")
    var network: String

    @Argument(help: "The namespace: a path, or a name under /var/run/netns.")
    var netns: String

    @Option(help: ArgumentHelp("Interface name inside the namespace.", valueName: "name"))
    var ifname: String = "eth0"

    @Option(name: .customLong("container-id"),
            help: ArgumentHelp("Container ID. Default: netctl- and a hash of the namespace path, the same for every call with it.",
                               valueName: "id"))
    var containerID: String?

    @Option(help: ArgumentHelp("CNI_ARGS for the plugins: K=V pairs separated by ';'.", valueName: "K=V;..."))
    var args: String?

    @Option(name: .customLong("cap"),
            help: ArgumentHelp("A capability value for plugins that declare it, e.g. portMappings='[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"}]'. Repeatable.",
                               valueName: "name=json"))
    var capabilities: [String] = []

    var arguments: AttachmentArguments {
        AttachmentArguments(network: network, netns: netns, ifname: ifname, containerID: containerID, args: args,
                            capabilities: capabilities)
    }
}
