import Addressing
import CNI
import Netlink
import PluginKit

/// The macvlan plugin's keys, named and defaulted as in the reference `macvlan` plugin, so its
/// configurations work unchanged.
public struct MacvlanConfig: Decodable, Sendable, KnownConfigKeys {
    /// The parent interface; `nil` (absent or `""`) means the interface of the default route in the
    /// namespace the master lives in.
    public let master: InterfaceName?
    /// How the macvlan forwards to its siblings on the same master: `bridge` unless given.
    public let mode: MacvlanMode
    /// The macvlan's MTU; `nil` (absent or 0) takes the master's.
    public let mtu: Int?
    /// The macvlan's MAC when the runtime asks for none (runtimeConfig, `args` and CNI_ARGS win).
    public let mac: MACAddress?
    /// The master lives in the container's namespace instead of the host's.
    public let linkInContainer: Bool

    /// The modes the reference plugin offers (the kernel's `source` mode needs a MAC list it has
    /// no key for).
    public static let modes: [MacvlanMode] = [.bridge, .private, .vepa, .passthru]

    /// What this decoder reads, and the reference's `bcqueuelen`, which libnl cannot set.
    public static let configKeys = ConfigKeys.keys(CodingKeys.allCases.map { $0.rawValue } + ["bcqueuelen"],
                                                   nested: [IPAMDriver.sectionKeys])

    enum CodingKeys: String, CodingKey, CaseIterable {
        case master, mode, mtu, mac, linkInContainer
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)

        let masterText = try c.decodeIfPresent(String.self, forKey: .master) ?? ""
        if let problem = masterText.isEmpty ? nil : InterfaceName.problem(with: masterText) {
            throw CNIError(.invalidNetworkConfig, "master \"\(masterText)\" is not an interface name: it \(problem)")
        }
        master = InterfaceName(masterText)

        let modeText = try c.decodeIfPresent(String.self, forKey: .mode) ?? ""
        guard let mode = modeText.isEmpty ? .bridge : MacvlanMode(rawValue: modeText), Self.modes.contains(mode)
        else {
            throw CNIError(.invalidNetworkConfig, "unknown macvlan mode \"\(modeText)\"",
                           details: "mode must be one of " + Self.modes.map(\.rawValue).joined(separator: ", "))
        }
        self.mode = mode

        // The upper bound, the master's MTU, is checked once the master is known.
        let mtu = try c.decodeIfPresent(Int.self, forKey: .mtu) ?? 0
        guard mtu == 0 || mtu >= 68 else {
            throw CNIError(.invalidNetworkConfig, "invalid MTU \(mtu), must be [0, master MTU]",
                           details: "0 takes the master's MTU; an Ethernet MTU is at least 68")
        }
        self.mtu = mtu == 0 ? nil : mtu

        let macText = try c.decodeIfPresent(String.self, forKey: .mac) ?? ""
        if let problem = macText.isEmpty ? nil : MACAddress.assignmentProblem(macText) {
            throw CNIError(.invalidNetworkConfig, "mac \"\(macText)\" \(problem)")
        }
        mac = MACAddress(macText)

        linkInContainer = try c.decodeIfPresent(Bool.self, forKey: .linkInContainer) ?? false
    }
}
