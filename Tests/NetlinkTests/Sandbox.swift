import Addressing
import Foundation
import Synchronization
import Testing
@testable import Netlink

extension Trait where Self == ConditionTrait {
    /// Marks a test that creates namespaces or links: it runs as root and is reported as skipped,
    /// saying why, for anyone else (`swift test` as a normal user runs the rest).
    static var needsRoot: Self {
        .enabled(if: geteuid() == 0, "needs root (creates network namespaces and links)")
    }
}

/// The kernel objects one test creates: named with this process's id and the test's tag so parallel tests
/// and other users of the machine never collide, and all removed by `cleanUp()`, which every test defers.
final class Sandbox {
    private let tag: String
    private var namespaceNames: [String] = []
    private var hostLinks: [InterfaceName] = []

    private static let claimedTags = Mutex<Set<String>>([])

    /// `tag` tells the tests apart, so each test needs its own; two characters keep interface names within
    /// 15 bytes.
    init(_ tag: String) {
        precondition(tag.utf8.count == 2, "sandbox tags are two characters")
        precondition(Sandbox.claimedTags.withLock { $0.insert(tag).inserted }, "sandbox tag \(tag) is taken")
        self.tag = tag
    }

    /// A name for a link inside a sandbox namespace (removed with the namespace).
    func name(_ suffix: String) -> InterfaceName {
        InterfaceName("nt\(getpid())\(tag)\(suffix)")!
    }

    /// A name for a link in the host namespace, deleted by `cleanUp()`.
    func hostName(_ suffix: String) -> InterfaceName {
        let name = name(suffix)
        hostLinks.append(name)
        return name
    }

    func namespaceName(_ suffix: String) -> String {
        "nltest-\(getpid())-\(tag)\(suffix)"
    }

    /// Creates a named namespace, deleted by `cleanUp()`.
    func namespace(_ suffix: String = "") throws -> NetworkNamespace {
        let name = namespaceName(suffix)
        namespaceNames.append(name)
        return try NetworkNamespace.create(name: name)
    }

    func cleanUp() {
        if let host = try? NetlinkSocket() {
            for link in hostLinks { _ = try? host.deleteLink(named: link) }
        }
        for name in namespaceNames { _ = try? NetworkNamespace.delete(name: name) }
    }
}

/// A bridge on the host and a veth pair: one end on the bridge, the other inside a fresh namespace.
struct Attachment {
    let namespace: NetworkNamespace
    let host: NetlinkSocket
    let container: NetlinkSocket
    let bridge: Link
    let hostVeth: Link
    let peer: Link

    static let peerMAC = MACAddress("02:42:0a:fa:c8:05")!
    static let mtu = 1400

    init(in sandbox: Sandbox) throws {
        namespace = try sandbox.namespace()
        host = try NetlinkSocket()
        container = try NetlinkSocket(in: namespace)
        let bridgeName = sandbox.hostName("b")
        try host.createBridge(name: bridgeName, mtu: Attachment.mtu)
        bridge = try #require(try host.link(named: bridgeName))
        let vethName = sandbox.hostName("v")
        let peerName = InterfaceName("eth0")!
        try host.createVeth(name: vethName, mtu: Attachment.mtu, masterIndex: bridge.index,
                            peerName: peerName, peerMAC: Attachment.peerMAC, peerNamespace: namespace)
        hostVeth = try #require(try host.link(named: vethName))
        let createdPeer = try #require(try container.link(named: peerName))
        try container.setUp(index: createdPeer.index)
        peer = try #require(try container.link(index: createdPeer.index))
    }
}

/// Runs a command (such as `ip`) for a second opinion and returns its standard output.
func run(_ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
