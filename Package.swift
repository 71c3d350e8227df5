// swift-tools-version:6.0
//
// Module graph (each arrow is "depends on"; every target lists exactly the modules it imports):
//
//   Commands/<plugin>  ->  Plugins/<Plugin>  ->  PluginKit  ->  CNI, CNIClient, IPAM, Stores, Netlink, Firewall
//   CNI (the protocol)            ->  Addressing, Identity, JSON, POSIX
//   CNIClient (a runtime's side)  ->  CNI, Addressing, Identity, JSON, POSIX
//   CNIRuntime (libcni's runner: lists, result cache)  ->  CNIClient, CNI, Addressing, Identity, JSON, POSIX
//   IPAM      ->  KV, CNI, Identity, Addressing, JSON, POSIX
//   DNSRecords ->  KV, Identity, Addressing, JSON      (records the dnsname plugin writes and cni-dns serves)
//   Stores    ->  KV, KVSQLite, KVEtcd, Identity, JSON, POSIX   (the one place a store is chosen from the configuration)
//   KVSQLite  ->  KV, CSQLite (libsqlite3)          KVMemory  ->  KV          KV  ->  nothing
//   KVEtcd    ->  KV, JSON, TLS                 (etcd v3's JSON gateway over POSIX sockets)
//   TLS       ->  COpenSSL (libssl, libcrypto)  (a TLS client session driven over the caller's socket)
//   Netlink   ->  CNetlink (libnl-route-3), Addressing
//   Firewall  ->  CNftables (libnftnl), CMnl (libmnl), Addressing, Identity      (knows nothing of CNI)
//   Identity  ->  Addressing          POSIX, Addressing, JSON  ->  nothing of ours
//   DNSWire  ->  Addressing            DNSResponder  ->  DNSRecords, DNSWire, Addressing
//   cni-dns (daemon)  ->  DNSResponder, DNSRecords, DNSWire, Stores, KV, ServiceLog, CNI (the suite version)
//   ServiceLog  ->  swift-log          (daemons and netctl only; no plugin links it)
//   Labs  ->  Netlink, Firewall, Identity, Addressing, JSON, POSIX      (namespace labs; knows nothing of netctl)
//   NetworkInspection (what the host knows of a network)  ->  CNIRuntime, IPAM, DNSRecords, DNSWire, Firewall, Netlink,
//                                                              Stores, KV, PluginKit, CNI, Identity, Addressing, JSON, POSIX
//   NetCtlKit (netctl's runner commands and output)  ->  CNIRuntime, CNI, Identity, Addressing, JSON, POSIX
//   netctl (command: add, del, check, gc, status)  ->  NetCtlKit      (no swift-argument-parser, no Foundation)
//   netctl-cli (netctl's full command line, exec'd by netctl)  ->  NetCtlKit, Labs, Netlink, NetworkInspection, CNIRuntime,
//                                                                 DNSWire, CNI, Addressing, JSON, POSIX, swift-argument-parser
//   Overlay   ->  Addressing, Identity, JSON, Netlink, Firewall, KV   (overlay records in the store, peers' kernel entries, host subnet claims)
//   VXLANPlugin  ->  BridgePlugin, Overlay, PluginKit, IPAM, Stores, KV, Netlink, CNI, Addressing, Identity, POSIX, JSON
//   vxlan-agent (daemon)  ->  Overlay, Stores, KV, Netlink, Firewall, Identity, Addressing, POSIX, JSON, ServiceLog, CNI (the suite version)
//
// Plugins never import a C module: only Netlink, KVSQLite, Firewall and TLS do.
import PackageDescription

/// Plugins are short-lived processes whose start-up is part of every ADD. A fully static, stripped
/// executable skips the dynamic loader and starts in about a millisecond, under the reference Go
/// plugins; debug builds stay dynamic for fast linking.
let pluginLinking: [LinkerSetting] = [
    .unsafeFlags(["-static-executable", "-Xlinker", "-s", "-Xlinker", "--gc-sections"], .when(configuration: .release)),
]

/// Generic types are looked up by mangled name by default: each first use demangles a string in the
/// runtime, 277 times per bridge ADD. Direct metadata accessors skip the demangler (173 calls remained,
/// from the runtime and FoundationEssentials); a bridge ADD ran about 5% faster for 4 KB of code.
let startupSettings: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"]),
]

let package = Package(
    name: "swift-cni",
    products: [
        .executable(name: "bridge", targets: ["bridge"]),
        .executable(name: "none", targets: ["none"]),
        .executable(name: "host", targets: ["host"]),
        .executable(name: "kv-ipam", targets: ["kv-ipam"]),
        .executable(name: "macvlan", targets: ["macvlan"]),
        .executable(name: "portmap", targets: ["portmap"]),
        .executable(name: "dnsname", targets: ["dnsname"]),
        .executable(name: "cni-dns", targets: ["cni-dns"]),
        .executable(name: "netctl", targets: ["netctl"]),
        .executable(name: "netctl-cli", targets: ["netctl-cli"]),
        .executable(name: "vxlan", targets: ["vxlan"]),
        .executable(name: "vxlan-agent", targets: ["vxlan-agent"]),
    ],
    dependencies: [
        // Long-running programs only (daemons, netctl); no plugin links it.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // netctl-cli's command line only.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, each behind exactly one Swift wrapper module.
        .systemLibrary(name: "CNetlink", path: "Sources/CNetlink", pkgConfig: "libnl-route-3.0"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3"),
        .systemLibrary(name: "CNftables", path: "Sources/CNftables", pkgConfig: "libnftnl"),
        // libssl-dev's static archives: TLS to etcd, linked into the static plugins (docs/store.md).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl"),
        // libmnl's functions from source: Debian ships no libmnl.a, and the plugins link static.
        .target(name: "CMnl", path: "Sources/CMnl"),
        // What Swift's Glibc module lacks: recvmmsg, sendmmsg and accept4 (_GNU_SOURCE), malloc_trim.
        // Not `CSystem`: swift-system (under swift-nio, which the DNS benchmark builds) has a target of that name.
        .target(name: "CSystemCalls", path: "Sources/CSystem"),

        // Value types shared by everything: addresses, subnets, MACs, interface names.
        .target(name: "Addressing"),
        // JSON text to and from Codable types, on the standard library alone.
        .target(name: "JSON"),
        // Who an attachment is: network, container ID, interface; one canonical text and hash.
        .target(name: "Identity", dependencies: ["Addressing"]),
        // Process I/O, subprocesses, errno and bounded reads of regular files, on Glibc alone.
        .target(name: "POSIX"),
        // The CNI protocol: environment, config, results, versions, errors, the plugin runner.
        .target(name: "CNI", dependencies: ["Addressing", "Identity", "JSON", "POSIX"]),
        // The CNI client side a runtime needs: running delegates, chaining results.
        .target(name: "CNIClient", dependencies: ["Addressing", "CNI", "Identity", "JSON", "POSIX"]),
        // What a runtime does with configuration lists, as libcni does it: loading, chaining, the result cache.
        .target(name: "CNIRuntime", dependencies: ["Addressing", "CNI", "CNIClient", "Identity", "JSON", "POSIX"]),
        // Typed Swift over libnl-route-3: namespaces, links, addresses, routes, sysctls.
        .target(name: "Netlink", dependencies: ["CNetlink", "Addressing"]),
        // The key-value store protocol with etcd v3 semantics, and what its backends share.
        .target(name: "KV"),
        // The embedded backend: one SQLite file per host, shared by every process.
        .target(name: "KVSQLite", dependencies: ["CSQLite", "KV"]),
        // A backend in this process's memory, for tests of what is built on the protocol.
        .target(name: "KVMemory", dependencies: ["KV"]),
        // A TLS client over OpenSSL that never touches the socket itself, so its caller keeps every wait.
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        // etcd v3 through its JSON gateway, over sockets of its own, with TLS for https:// endpoints.
        .target(name: "KVEtcd", dependencies: ["JSON", "KV", "TLS"]),
        // The store a configuration names, opened by one factory.
        .target(name: "Stores", dependencies: ["Identity", "JSON", "KV", "KVEtcd", "KVSQLite", "POSIX"]),
        // DNS records of attachments in the KV store, and the responder's control protocol.
        .target(name: "DNSRecords", dependencies: ["Addressing", "Identity", "JSON", "KV"]),
        // Address management on top of the KV protocol.
        .target(name: "IPAM", dependencies: ["Addressing", "CNI", "Identity", "JSON", "KV", "POSIX"]),
        // swift-cni's nftables tables (masquerade, isolation, MAC spoof checks, published ports),
        // changed with one atomic netlink batch per operation.
        .target(name: "Firewall", dependencies: ["CNftables", "CMnl", "Addressing", "Identity"]),
        // What every plugin shares beyond the protocol: IPAM driver selection, error codes.
        .target(name: "PluginKit",
                dependencies: ["Addressing", "CNI", "CNIClient", "Firewall", "IPAM", "Identity", "KV", "Netlink", "Stores"]),

        // What the host knows of a network, read from its configuration, the result cache, the leases, the DNS
        // records, the firewall and the kernel; and checks of the host itself. For netctl; reads only.
        .target(name: "NetworkInspection",
                dependencies: ["Addressing", "CNI", "CNIRuntime", "DNSRecords", "DNSWire", "Firewall", "IPAM", "Identity", "JSON", "KV",
                               "Netlink", "PluginKit", "POSIX", "Stores"]),

        // The DNS message format: names with compression, the records we serve, EDNS, truncation.
        .target(name: "DNSWire", dependencies: ["Addressing"]),
        // What the responder answers from the records: the zone, scoping, answers and forwarding decisions.
        .target(name: "DNSResponder", dependencies: ["Addressing", "DNSRecords", "DNSWire", "Identity"]),

        // Namespace labs: the topology model, its file formats, and applying it with rollback.
        .target(name: "Labs", dependencies: ["Addressing", "Firewall", "Identity", "JSON", "Netlink", "POSIX"]),

        // Logging for the daemons and netctl, through swift-log; never linked into a plugin.
        .target(name: "ServiceLog", dependencies: [.product(name: "Logging", package: "swift-log")]),

        // One type per plugin, conforming to CNIPlugin.
        .target(name: "BridgePlugin", dependencies: ["Addressing", "CNI", "Firewall", "Identity", "Netlink", "PluginKit", "Stores"],
                path: "Sources/Plugins/Bridge"),
        .target(name: "NonePlugin", dependencies: ["Addressing", "CNI", "Netlink", "PluginKit"], path: "Sources/Plugins/None"),
        .target(name: "HostPlugin", dependencies: ["Addressing", "CNI", "Netlink", "PluginKit"], path: "Sources/Plugins/Host"),
        .target(name: "KVIPAMPlugin", dependencies: ["Addressing", "CNI", "IPAM", "Identity", "JSON", "PluginKit", "Stores"],
                path: "Sources/Plugins/KVIPAM"),
        .target(name: "MacvlanPlugin", dependencies: ["Addressing", "CNI", "Identity", "Netlink", "PluginKit"],
                path: "Sources/Plugins/Macvlan"),
        .target(name: "PortmapPlugin", dependencies: ["Addressing", "CNI", "Firewall", "Netlink", "PluginKit"],
                path: "Sources/Plugins/Portmap"),

        .target(name: "DNSNamePlugin", dependencies: ["Addressing", "CNI", "DNSRecords", "IPAM", "Identity", "JSON", "KV", "Netlink", "POSIX",
                                                      "PluginKit", "Stores"],
                path: "Sources/Plugins/DNSName"),
        // The DNS responder daemon: sockets, the control protocol, forwarding, the store.
        .executableTarget(name: "cni-dns",
                          dependencies: ["Addressing", "CNI", "CSystemCalls", "DNSRecords", "DNSResponder", "DNSWire", "JSON", "KV", "POSIX", "ServiceLog", "Stores",
                                         .product(name: "Logging", package: "swift-log")],
                          path: "Sources/Commands/cni-dns",
                          // Linked as the plugins are: a static, stripped binary maps a third of the pages.
                          linkerSettings: pluginLinking),

        // Thin executables: main.swift hands the plugin type to the runner.
        .executableTarget(name: "bridge", dependencies: ["BridgePlugin", "CNI"], path: "Sources/Commands/bridge",
                         linkerSettings: pluginLinking),
        .executableTarget(name: "none", dependencies: ["NonePlugin", "CNI"], path: "Sources/Commands/none",
                         linkerSettings: pluginLinking),
        .executableTarget(name: "host", dependencies: ["HostPlugin", "CNI"], path: "Sources/Commands/host",
                         linkerSettings: pluginLinking),
        .executableTarget(name: "kv-ipam", dependencies: ["KVIPAMPlugin", "CNI"], path: "Sources/Commands/kv-ipam",
                         linkerSettings: pluginLinking),
        .executableTarget(name: "macvlan", dependencies: ["MacvlanPlugin", "CNI"], path: "Sources/Commands/macvlan",
                         linkerSettings: pluginLinking),
        .executableTarget(name: "portmap", dependencies: ["PortmapPlugin", "CNI"], path: "Sources/Commands/portmap",
                         linkerSettings: pluginLinking),

        .executableTarget(name: "dnsname", dependencies: ["DNSNamePlugin", "CNI"], path: "Sources/Commands/dnsname",
                         linkerSettings: pluginLinking),

        // The overlay's records in the shared store and the kernel entries they call for on a host.
        .target(name: "Overlay", dependencies: ["Addressing", "Firewall", "Identity", "JSON", "KV", "Netlink"]),
        .target(name: "VXLANPlugin", dependencies: ["Addressing", "BridgePlugin", "CNI", "IPAM", "Identity", "JSON", "KV",
                                                    "Netlink", "Overlay", "POSIX", "PluginKit", "Stores"],
                path: "Sources/Plugins/VXLAN"),
        .executableTarget(name: "vxlan", dependencies: ["VXLANPlugin", "CNI"], path: "Sources/Commands/vxlan",
                         linkerSettings: pluginLinking),
        // The overlay's per-host agent: watches the store, programs the VXLAN devices.
        .executableTarget(name: "vxlan-agent",
                          dependencies: ["Addressing", "CNI", "Firewall", "Identity", "JSON", "KV", "Netlink", "Overlay", "POSIX", "ServiceLog",
                                         "Stores", .product(name: "Logging", package: "swift-log")],
                          path: "Sources/Commands/vxlan-agent",
                          linkerSettings: pluginLinking),

        // What netctl's two executables share: the runner commands, read with or without the parser.
        .target(name: "NetCtlKit", dependencies: ["Addressing", "CNI", "CNIRuntime", "Identity", "JSON", "POSIX"]),
        // The command people run by hand. `netctl` runs the runner commands itself: a runtime may call it
        // per container, and swift-argument-parser with the FoundationEssentials it brings costs every
        // start about 1 ms of CPU (docs/performance.md). Every other command line it hands to netctl-cli:
        // namespace labs, inspection, help and completion. Static as the plugins are, so one archive
        // installs everywhere.
        .executableTarget(name: "netctl", dependencies: ["NetCtlKit"], path: "Sources/Commands/netctl",
                          linkerSettings: pluginLinking),
        .executableTarget(name: "netctl-cli",
                          dependencies: ["Addressing", "CNI", "CNIRuntime", "DNSWire", "JSON", "Labs", "NetCtlKit", "Netlink",
                                         "NetworkInspection", "POSIX",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/Commands/netctl-cli",
                          linkerSettings: pluginLinking),

        .testTarget(name: "AddressingTests", dependencies: ["Addressing"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "IdentityTests", dependencies: ["Addressing", "Identity"]),
        .testTarget(name: "POSIXTests", dependencies: ["POSIX"]),
        .testTarget(name: "CNITests", dependencies: ["Addressing", "CNI", "Identity"]),
        .testTarget(name: "CNIClientTests", dependencies: ["Addressing", "CNI", "CNIClient", "JSON", "Identity"]),
        .testTarget(name: "CNIRuntimeTests", dependencies: ["Addressing", "CNI", "CNIRuntime", "Identity", "JSON"]),
        .testTarget(name: "KVTests", dependencies: ["CSQLite", "KV", "KVEtcd", "KVMemory", "KVSQLite"]),
        .testTarget(name: "IPAMTests", dependencies: ["Addressing", "CNI", "IPAM", "Identity", "KV", "KVMemory"]),
        .testTarget(name: "DNSRecordsTests", dependencies: ["Addressing", "DNSRecords", "Identity", "KVMemory"]),
        .testTarget(name: "StoresTests", dependencies: ["JSON", "KV", "KVEtcd", "KVSQLite", "Stores"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Addressing", "Netlink"]),
        .testTarget(name: "FirewallTests", dependencies: ["Addressing", "Firewall", "Identity"]),
        .testTarget(name: "DNSWireTests", dependencies: ["Addressing", "DNSWire"]),
        .testTarget(name: "DNSResponderTests", dependencies: ["Addressing", "CNI", "DNSRecords", "DNSResponder", "DNSWire",
                                                              "Identity"]),
        .testTarget(name: "LabsTests", dependencies: ["Addressing", "Labs"]),
        .testTarget(name: "NetCtlKitTests", dependencies: ["NetCtlKit"]),
        .testTarget(name: "ServiceLogTests", dependencies: ["ServiceLog", .product(name: "Logging", package: "swift-log")]),
        // The plugins' own logic that needs no kernel: their configs, names and entries.
        .testTarget(name: "PluginTests", dependencies: ["BridgePlugin", "DNSNamePlugin", "MacvlanPlugin", "PortmapPlugin", "PluginKit",
                                                        "VXLANPlugin", "Overlay",
                                                        "CNI", "DNSRecords", "Firewall", "Netlink", "Addressing", "JSON",
                                                        "Identity", "Stores"]),
    ]
)

// Fuzz targets, built by integration/fuzz: libFuzzer supplies their `main`, so they exist only when
// that script sets SWIFT_CNI_FUZZ, and no other build sees them.
if Context.environment["SWIFT_CNI_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(name: "fuzz-cni", dependencies: ["BridgePlugin", "MacvlanPlugin", "PortmapPlugin", "CNIClient", "Identity", "Stores",
                                                       "PluginKit", "IPAM", "CNI", "JSON", "Addressing"],
                          path: "Sources/Fuzz/cni"))
    package.targets.append(.executableTarget(name: "fuzz-dns", dependencies: ["DNSWire"], path: "Sources/Fuzz/dns"))
}

// The benchmark's allocator loop, built by integration/bench/bench_etcd.py with SWIFT_CNI_BENCH set.
if Context.environment["SWIFT_CNI_BENCH"] != nil {
    package.targets.append(
        .executableTarget(name: "kv-ipam-bench", dependencies: ["IPAM", "Identity", "KV", "Stores"],
                          path: "Sources/Commands/kv-ipam-bench"))
    // bench_dns.py's SwiftNIO contender: cni-dns's Zone behind a NIO datagram channel.
    package.dependencies.append(.package(url: "https://github.com/apple/swift-nio", from: "2.101.2"))
    package.targets.append(
        .executableTarget(name: "cni-dns-nio-bench",
                          dependencies: ["Addressing", "DNSRecords", "DNSResponder", "DNSWire", "Stores",
                                         .product(name: "NIOCore", package: "swift-nio"),
                                         .product(name: "NIOPosix", package: "swift-nio")],
                          path: "Sources/Commands/cni-dns-nio-bench"))
}

for target in package.targets where target.type == .regular || target.type == .executable {
    target.swiftSettings = (target.swiftSettings ?? []) + startupSettings
}
