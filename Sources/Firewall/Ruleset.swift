import Addressing
import CNftables

/// A base chain of one of our tables, with its complete list of rules.
struct Chain {
    enum Kind: String { case filter, nat }

    let family: TableFamily
    let name: String
    let kind: Kind
    let hook: UInt32
    let priority: Int32
    let rules: [[Expression]]
}

/// swift-cni's whole ruleset. It is fixed: containers only add and remove set elements, so the
/// number of rules never grows with the number of containers.
enum Ruleset {
    /// Bumped whenever a table's sets, chains or rules change.
    static let version = 2

    /// Present once a table has this version's schema: an element of the `owners` set, checked by
    /// every ADD. The rules are written only when it is missing, not by every ADD, because
    /// rewriting them deletes the old ones, and a transaction that deletes anything costs its
    /// process an RCU grace period (milliseconds) when its netlink socket closes: the kernel then
    /// waits for the deferred release of what the transaction removed.
    static func marker(_ family: TableFamily) -> SetElement {
        let text = "\(family.name)-schema-\(version)"
        return SetElement(.owners, rawKey: Array(text.utf8) + [UInt8](repeating: 0, count: 16 - text.utf8.count),
                          summary: "the \(family.name) table's schema marker")
    }

    static var markerComment: [UInt8] {
        let text = Array("swift-cni schema \(version)".utf8) + [0]
        return [UserData.comment, UInt8(text.count)] + text
    }

    static func chains(of family: TableFamily) -> [Chain] {
        switch family {
        case .inet:
            [
                Chain(family: .inet, name: "prerouting", kind: .nat, hook: NF_INET_PRE_ROUTING.rawValue, priority: -100,
                      rules: publishRules),
                Chain(family: .inet, name: "output", kind: .nat, hook: NF_INET_LOCAL_OUT.rawValue, priority: -100,
                      rules: publishRules),
                Chain(family: .inet, name: "postrouting", kind: .nat, hook: NF_INET_POST_ROUTING.rawValue,
                      priority: 100, rules: masqueradeRules),
                // Before isolation: its `return` only ends this chain, and the forward chain follows.
                Chain(family: .inet, name: "tunnel-ingress", kind: .filter, hook: NF_INET_FORWARD.rawValue,
                      priority: -10, rules: tunnelIngressRules),
                Chain(family: .inet, name: "forward", kind: .filter, hook: NF_INET_FORWARD.rawValue, priority: 0,
                      rules: isolationRules),
            ]
        case .bridge:
            [
                // Before the bridge's own filtering (-200), as the reference plugin's spoof check.
                Chain(family: .bridge, name: "prerouting", kind: .filter, hook: bridgePreRouting,
                      priority: -300, rules: spoofCheckRules),
            ]
        }
    }

    // MARK: Published ports (nat prerouting and output)

    /// A mapping on a given host address wins over one on every local address: it comes first, and
    /// a DNAT ends the chain.
    private static var publishRules: [[Expression]] {
        AddressFamily.allCases.flatMap { family -> [[Expression]] in
            let words = family.words
            return [
                isFamily(family) + [
                    address(.destination, family, into: .first),
                    .meta(.layer4Protocol, into: .word(words)),
                    destinationPort(into: .word(words + 1)),
                    .lookup(.first, in: .publishOn(family), result: .first),
                    .destinationNAT(family, address: .first, port: .word(words)),
                ],
                isFamily(family) + [
                    .fibDestinationType(into: .first),
                    .compare(.first, .equal, hostBytes(routeTypeLocal)),
                    .meta(.layer4Protocol, into: .first),
                    destinationPort(into: .word(1)),
                    .lookup(.first, in: .publish(family), result: .first),
                    .destinationNAT(family, address: .first, port: .word(words)),
                ],
            ]
        }
    }

    // MARK: Masquerading (nat postrouting)

    private static var masqueradeRules: [[Expression]] {
        let hairpin = AddressFamily.allCases.map { family in
            isFamily(family) + wasDestinationNATed + sourceAndDestination(family) + [
                .lookup(.first, in: .publishMasquerade(family)),
                .masquerade,
            ]
        }
        let local = AddressFamily.allCases.map { family in
            isFamily(family) + sourceAndDestination(family) + [.lookup(.first, in: .local(family)), .verdict(.return)]
        }
        let leaving = AddressFamily.allCases.map { family in
            isFamily(family) + [
                address(.source, family, into: .first),
                .lookup(.first, in: .masquerade(family)),
            ] + notMulticastDestination(family) + [.masquerade]
        }
        return hairpin + local + leaving
    }

    // MARK: Isolation between networks (filter forward)

    /// Published ports stay reachable from other networks, as Docker's are; apart from them a
    /// packet from one isolated network's container to another's is dropped unless the
    /// destination is in the sender's own subnet.
    private static var isolationRules: [[Expression]] {
        let published: [[Expression]] = [wasDestinationNATed + [.verdict(.return)]]
        let local = AddressFamily.allCases.map { family in
            isFamily(family) + sourceAndDestination(family) + [.lookup(.first, in: .local(family)), .verdict(.return)]
        }
        let crossing = AddressFamily.allCases.map { family in
            isFamily(family) + [
                address(.source, family, into: .first),
                .lookup(.first, in: .isolated(family)),
                address(.destination, family, into: .first),
                .lookup(.first, in: .isolated(family)),
                .verdict(.drop),
            ]
        }
        return published + local + crossing
    }

    // MARK: Tunnel ingress (filter forward, before isolation)

    /// A packet a checked tunnel device brings in is forwarded only from the device's own network
    /// (IPv4): another host may route a packet of any network into any tunnel it has.
    private static var tunnelIngressRules: [[Expression]] {
        [
            isFamily(.ipv4) + [
                .meta(.inputInterfaceName, into: .first),
                address(.source, .ipv4, into: .word(FieldType.interfaceName.registerLength / 4)),
                .lookup(.first, in: .tunnelSources4),
                .verdict(.return),
            ],
            [
                .meta(.inputInterfaceName, into: .first),
                .lookup(.first, in: .tunnelPorts),
                .verdict(.drop),
            ],
        ]
    }

    // MARK: MAC spoof check (bridge prerouting)

    private static var spoofCheckRules: [[Expression]] {
        [
            [
                .meta(.inputInterfaceName, into: .first),
                .payload(.link, offset: 6, length: 6, into: .word(FieldType.interfaceName.registerLength / 4)),
                .lookup(.first, in: .spoofCheckAllowed),
                .verdict(.return),
            ],
            [
                .meta(.inputInterfaceName, into: .first),
                .lookup(.first, in: .spoofCheckedPorts),
                .verdict(.drop),
            ],
        ]
    }

    // MARK: Building blocks

    private enum Direction { case source, destination }

    /// NF_BR_PRE_ROUTING (linux/netfilter_bridge.h, which does not build beside glibc's headers).
    private static let bridgePreRouting: UInt32 = 0

    /// RTN_LOCAL: `fib daddr type local`.
    private static let routeTypeLocal: UInt32 = 2

    private static func isFamily(_ family: AddressFamily) -> [Expression] {
        [
            .meta(.protocolFamily, into: .first),
            .compare(.first, .equal, [UInt8(family == .ipv4 ? NFPROTO_IPV4 : NFPROTO_IPV6)]),
        ]
    }

    private static var wasDestinationNATed: [Expression] {
        [
            .conntrackStatus(into: .first),
            .bitwise(.first, mask: hostBytes(UInt32(IPS_DST_NAT.rawValue)), xor: hostBytes(0)),
            .compare(.first, .notEqual, hostBytes(0)),
        ]
    }

    private static func address(_ direction: Direction, _ family: AddressFamily, into register: Register) -> Expression {
        let offset: UInt32 = switch (family, direction) {
        case (.ipv4, .source): 12
        case (.ipv4, .destination): 16
        case (.ipv6, .source): 8
        case (.ipv6, .destination): 24
        }
        return .payload(.network, offset: offset, length: UInt32(family.byteCount), into: register)
    }

    private static func sourceAndDestination(_ family: AddressFamily) -> [Expression] {
        [address(.source, family, into: .first), address(.destination, family, into: .word(family.words))]
    }

    private static func destinationPort(into register: Register) -> Expression {
        .payload(.transport, offset: 2, length: 2, into: register)
    }

    /// Multicast destinations (224.0.0.0/4, ff00::/8) are never masqueraded, as in the reference plugin.
    private static func notMulticastDestination(_ family: AddressFamily) -> [Expression] {
        switch family {
        case .ipv4:
            [
                .payload(.network, offset: 16, length: 4, into: .first),
                .bitwise(.first, mask: [0xf0, 0, 0, 0], xor: [0, 0, 0, 0]),
                .compare(.first, .notEqual, [0xe0, 0, 0, 0]),
            ]
        case .ipv6:
            [
                .payload(.network, offset: 24, length: 1, into: .first),
                .compare(.first, .notEqual, [0xff]),
            ]
        }
    }

    private static func hostBytes(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
}

extension AddressFamily {
    var byteCount: Int { self == .ipv4 ? 4 : 16 }
    /// 32-bit register words an address takes.
    var words: Int { byteCount / 4 }
}

extension TableSet {
    static func local(_ family: AddressFamily) -> TableSet { family == .ipv4 ? .local4 : .local6 }
    static func masquerade(_ family: AddressFamily) -> TableSet { family == .ipv4 ? .masquerade4 : .masquerade6 }
    static func isolated(_ family: AddressFamily) -> TableSet { family == .ipv4 ? .isolated4 : .isolated6 }
    static func publish(_ family: AddressFamily) -> TableSet { family == .ipv4 ? .publish4 : .publish6 }
    static func publishOn(_ family: AddressFamily) -> TableSet { family == .ipv4 ? .publishOn4 : .publishOn6 }
    static func publishMasquerade(_ family: AddressFamily) -> TableSet {
        family == .ipv4 ? .publishMasquerade4 : .publishMasquerade6
    }
}
