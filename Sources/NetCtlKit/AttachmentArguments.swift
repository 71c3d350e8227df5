import Addressing
import CNIRuntime
import Identity
import JSON

/// NETWORK NETNS and the runtime's values as given on the command line, however it was read.
public struct AttachmentArguments: Equatable {
    public var network: String
    public var netns: String
    public var ifname = "eth0"
    public var containerID: String?
    public var args: String?
    public var capabilities: [String] = []

    public init(network: String, netns: String, ifname: String = "eth0", containerID: String? = nil, args: String? = nil,
                capabilities: [String] = []) {
        self.network = network
        self.netns = netns
        self.ifname = ifname
        self.containerID = containerID
        self.args = args
        self.capabilities = capabilities
    }

    /// The namespace path: names without a slash are under /var/run/netns.
    public var netnsPath: String {
        netns.contains("/") ? netns : "/var/run/netns/" + netns
    }

    /// The runtime's values, validated; a `UsageError` names the first that is invalid.
    public func runtime() throws -> RuntimeConfig {
        let id: ContainerID
        if let containerID {
            guard let parsed = ContainerID(containerID) else {
                throw UsageError("invalid --container-id \"\(containerID)\": it must start with a letter or digit and hold only letters, digits, _ . -")
            }
            id = parsed
        } else {
            id = ContainerID(Self.defaultContainerID(for: netnsPath))!
        }
        guard let interface = InterfaceName(ifname) else {
            throw UsageError("invalid --ifname \"\(ifname)\": 1 to 15 bytes, no '/', ':' or whitespace")
        }
        return RuntimeConfig(containerID: id, netns: netnsPath, interface: interface, args: try parsedArgs(),
                             capabilityArgs: try parsedCapabilities())
    }

    func parsedArgs() throws -> [(key: String, value: String)] {
        guard let args else { return [] }
        return try args.split(separator: ";").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw UsageError("invalid --args pair \"\(pair)\": expected KEY=VALUE pairs separated by ';'")
            }
            return (String(parts[0]), String(parts[1]))
        }
    }

    func parsedCapabilities() throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for text in capabilities {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw UsageError("invalid --cap \"\(text)\": expected NAME=JSON, e.g. mac='\"c2:11:22:33:44:55\"'")
            }
            do {
                values[String(parts[0])] = try JSONParser.parse(Array(parts[1].utf8))
            } catch {
                throw UsageError("invalid --cap \(parts[0]): the value is not JSON (\(error))")
            }
        }
        return values
    }

    /// `netctl-` and 16 hex digits of a 64-bit FNV-1a hash of the path: stable across calls, so
    /// that `del` finds what `add` did without being told the ID.
    public static func defaultContainerID(for path: String) -> String {
        "netctl-" + FNV1a.digits(path)
    }
}
