import Addressing
import CNI

/// The MAC address a runtime asks for, by the reference plugins' precedence: the `mac` capability
/// over `args.cni.mac` over `CNI_ARGS` `MAC=`.
public enum RequestedMAC {
    public static func from<C>(_ request: AttachmentRequest<C>) throws -> MACAddress? {
        let sources: [(String, String?)] = [
            ("runtimeConfig.mac", request.network.runtimeConfig?.mac),
            ("args.cni.mac", request.network.args?.cni?.mac),
            ("CNI_ARGS MAC", request.args["MAC"]),
        ]
        guard let (source, text) = sources.first(where: { $0.1 != nil }).map({ ($0.0, $0.1!) }) else { return nil }
        if let problem = MACAddress.assignmentProblem(text) {
            throw CNIError(.invalidNetworkConfig, "\(source) \"\(text)\" \(problem)")
        }
        return MACAddress(text)
    }
}
