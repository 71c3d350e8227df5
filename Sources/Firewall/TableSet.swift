import CNftables

/// The two tables swift-cni owns. Bridged frames (MAC spoof checks) are only visible to a
/// `bridge` family table; everything at the IP layer lives in the `inet` one.
enum TableFamily: Sendable, CaseIterable {
    case inet, bridge

    static let tableName = "swift-cni"

    var protocolFamily: UInt16 {
        switch self {
        case .inet: UInt16(NFPROTO_INET)
        case .bridge: UInt16(NFPROTO_BRIDGE)
        }
    }

    var name: String {
        switch self {
        case .inet: "inet"
        case .bridge: "bridge"
        }
    }
}

/// A named set or map in one of our tables. Every piece of per-container state is an element of
/// one of these; the rules that read them never change when containers come and go.
struct TableSet: Hashable, Sendable {
    let name: String
    let family: TableFamily
    let key: [FieldType]
    let value: [FieldType]
    /// Elements are ranges (a subnet as one field of the key).
    let interval: Bool
    /// Unique within a batch, so a rule can name a set created earlier in the same batch.
    let batchID: UInt32

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.name == rhs.name && lhs.family == rhs.family }
    func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(family)
    }

    var isMap: Bool { !value.isEmpty }

    /// Every set takes timeouts, so that removing an owner can expire its elements instead of
    /// deleting them (see `Batch.expire`). No element is ever added with a timeout.
    var flags: UInt32 {
        var flags = UInt32(NFT_SET_TIMEOUT.rawValue)
        if isMap { flags |= UInt32(NFT_SET_MAP.rawValue) }
        if interval { flags |= UInt32(NFT_SET_INTERVAL.rawValue) }
        if interval && key.count > 1 { flags |= UInt32(NFT_SET_CONCAT.rawValue) }
        return flags
    }
}

extension TableSet {
    /// Owner records (see `OwnerRecord`): a 15-character key derived from the owner, the record in
    /// the element's user data.
    static let owners = TableSet(name: "owners", family: .inet, key: [.interfaceName], value: [], interval: false,
                                 batchID: 1)

    /// `container address . its subnet`: traffic that stays inside its own network, exempt from
    /// masquerading and isolation.
    static let local4 = TableSet(name: "local4", family: .inet, key: [.ipv4, .ipv4], value: [], interval: true,
                                 batchID: 2)
    static let local6 = TableSet(name: "local6", family: .inet, key: [.ipv6, .ipv6], value: [], interval: true,
                                 batchID: 3)
    /// Container addresses whose traffic leaving their network is masqueraded (`ipMasq`).
    static let masquerade4 = TableSet(name: "masquerade4", family: .inet, key: [.ipv4], value: [], interval: false,
                                      batchID: 4)
    static let masquerade6 = TableSet(name: "masquerade6", family: .inet, key: [.ipv6], value: [], interval: false,
                                      batchID: 5)
    /// Container addresses of isolated networks: forwarding between two of them is dropped unless
    /// both are on the same network.
    static let isolated4 = TableSet(name: "isolated4", family: .inet, key: [.ipv4], value: [], interval: false,
                                    batchID: 6)
    static let isolated6 = TableSet(name: "isolated6", family: .inet, key: [.ipv6], value: [], interval: false,
                                    batchID: 7)
    /// Published ports on every local address: `protocol . port : container . port`.
    static let publish4 = TableSet(name: "publish4", family: .inet, key: [.inetProtocol, .inetService],
                                   value: [.ipv4, .inetService], interval: false, batchID: 8)
    static let publish6 = TableSet(name: "publish6", family: .inet, key: [.inetProtocol, .inetService],
                                   value: [.ipv6, .inetService], interval: false, batchID: 9)
    /// Published ports on one host address: `address . protocol . port : container . port`.
    static let publishOn4 = TableSet(name: "publish-on4", family: .inet, key: [.ipv4, .inetProtocol, .inetService],
                                     value: [.ipv4, .inetService], interval: false, batchID: 10)
    static let publishOn6 = TableSet(name: "publish-on6", family: .inet, key: [.ipv6, .inetProtocol, .inetService],
                                     value: [.ipv6, .inetService], interval: false, batchID: 11)
    /// `source range . container`: published-port traffic that must be masqueraded so the reply
    /// comes back through the host (hairpin, localhost, `masqAll`).
    static let publishMasquerade4 = TableSet(name: "publish-masquerade4", family: .inet, key: [.ipv4, .ipv4],
                                             value: [], interval: true, batchID: 12)
    static let publishMasquerade6 = TableSet(name: "publish-masquerade6", family: .inet, key: [.ipv6, .ipv6],
                                             value: [], interval: true, batchID: 13)

    /// Bridge ports whose frames must carry the container's own MAC (`macspoofchk`).
    static let spoofCheckedPorts = TableSet(name: "macspoof-ports", family: .bridge, key: [.interfaceName],
                                            value: [], interval: false, batchID: 14)
    /// `port . MAC`: the one source address each checked port may use.
    static let spoofCheckAllowed = TableSet(name: "macspoof-allowed", family: .bridge,
                                            key: [.interfaceName, .etherAddress], value: [], interval: false,
                                            batchID: 15)

    /// Tunnel devices whose forwarded packets must come from their own network (`tunnelSources`).
    static let tunnelPorts = TableSet(name: "tunnel-ports", family: .inet, key: [.interfaceName], value: [],
                                      interval: false, batchID: 16)
    /// `device . subnet`: the sources each checked tunnel device forwards.
    static let tunnelSources4 = TableSet(name: "tunnel-sources4", family: .inet, key: [.interfaceName, .ipv4],
                                         value: [], interval: true, batchID: 17)

    static let all: [TableSet] = [
        owners, local4, local6, masquerade4, masquerade6, isolated4, isolated6, publish4, publish6, publishOn4,
        publishOn6, publishMasquerade4, publishMasquerade6, spoofCheckedPorts, spoofCheckAllowed, tunnelPorts,
        tunnelSources4,
    ]
}
