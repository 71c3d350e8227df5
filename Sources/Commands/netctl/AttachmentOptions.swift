import Addressing
import ArgumentParser
import CNIRuntime
import Identity
import JSON

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

/// NETWORK NETNS and the runtime's values as given on the command line, however it was read.
struct AttachmentArguments {
    var network: String
    var netns: String
    var ifname = "eth0"
    var containerID: String?
    var args: String?
    var capabilities: [String] = []

    /// The namespace path: names without a slash are under /var/run/netns.
    var netnsPath: String {
        netns.contains("/") ? netns : "/var/run/netns/" + netns
    }

    func runtime() throws -> RuntimeConfig {
        let id: ContainerID
        if let containerID {
            guard let parsed = ContainerID(containerID) else {
                throw ValidationError("invalid --container-id \"\(containerID)\": it must start with a letter or digit and hold only letters, digits, _ . -")
            }
            id = parsed
        } else {
            id = ContainerID(Self.defaultContainerID(for: netnsPath))!
        }
        guard let interface = InterfaceName(ifname) else {
            throw ValidationError("invalid --ifname \"\(ifname)\": 1 to 15 bytes, no '/', ':' or whitespace")
        }
        return RuntimeConfig(containerID: id, netns: netnsPath, interface: interface, args: try parsedArgs(),
                             capabilityArgs: try parsedCapabilities())
    }

    func parsedArgs() throws -> [(key: String, value: String)] {
        guard let args else { return [] }
        return try args.split(separator: ";").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("invalid --args pair \"\(pair)\": expected KEY=VALUE pairs separated by ';'")
            }
            return (String(parts[0]), String(parts[1]))
        }
    }

    func parsedCapabilities() throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for text in capabilities {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("invalid --cap \"\(text)\": expected NAME=JSON, e.g. mac='\"c2:11:22:33:44:55\"'")
            }
            do {
                values[String(parts[0])] = try JSONParser.parse(Array(parts[1].utf8))
            } catch {
                throw ValidationError("invalid --cap \(parts[0]): the value is not JSON (\(error))")
            }
        }
        return values
    }

    /// `netctl-` and 16 hex digits of a 64-bit FNV-1a hash of the path: stable across calls, so
    /// that `del` finds what `add` did without being told the ID.
    static func defaultContainerID(for path: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let digits = String(hash, radix: 16)
        return "netctl-" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
