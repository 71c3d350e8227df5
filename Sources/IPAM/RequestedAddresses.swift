import Addressing
import CNI

/// The specific addresses a runtime asks for, gathered as host-local does: `CNI_ARGS` `IP=` (comma
/// separated), then `args.cni.ips`, then the `ips` capability. A prefix length, if given, is ignored:
/// the range decides it.
public enum RequestedAddresses {
    public static func from(args: CNIArgs, network: NetworkConfig) throws -> [IPAddress] {
        var texts: [(source: String, text: String)] = []
        if let ip = args["IP"] {
            texts += ip.split(separator: ",").map { ("CNI_ARGS IP", String($0)) }
        }
        texts += (network.args?.cni?.ips ?? []).map { ("args.cni.ips", $0) }
        texts += (network.runtimeConfig?.ips ?? []).map { ("runtimeConfig.ips", $0) }
        var addresses: [IPAddress] = []
        for (source, text) in texts {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = IPAddress(parts[0].trimmingSpaces) else {
                throw IPAMError.invalidRequest("\(source) \"\(text)\" is not an IP address")
            }
            if !addresses.contains(address) { addresses.append(address) }
        }
        return addresses
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
