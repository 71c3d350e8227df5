import Foundation
import Synchronization
import Testing
@testable import Netlink

@Suite struct NamespaceTests {
    @Test func openingAMissingPathSaysSo() {
        #expect(throws: NetlinkError.namespaceNotFound(path: "/run/netns/nltest-no-such")) {
            try NetworkNamespace.open(path: "/run/netns/nltest-no-such")
        }
        #expect(throws: NetlinkError.notANetworkNamespace(path: "/proc/self/ns/uts")) {
            try NetworkNamespace.open(path: "/proc/self/ns/uts")
        }
        #expect(throws: NetlinkError.notANetworkNamespace(path: "/etc/hostname")) {
            try NetworkNamespace.open(path: "/etc/hostname")
        }
    }

    /// A runtime may pass any path: a FIFO must be refused, not waited on until a writer comes.
    @Test func aFIFOADeviceOrADirectoryIsRefusedWithoutBlocking() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nltest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for path in ["/dev/null", directory] {
            #expect(throws: NetlinkError.notANetworkNamespace(path: path)) { try NetworkNamespace.open(path: path) }
        }
        let fifo = "\(directory)/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Thread {
            outcome.error.withLock { $0 = #expect(throws: NetlinkError.self) { try NetworkNamespace.open(path: fifo) } }
            done.signal()
        }.start()
        if done.wait(timeout: .now() + 5) == .timedOut {
            // A writer completes the blocked open; closing it at once leaves the reader nothing.
            close(open(fifo, O_WRONLY | O_NONBLOCK))
            done.wait()
            Issue.record("opening a FIFO as a namespace blocked")
        }
        #expect(outcome.error.withLock { $0 } == .notANetworkNamespace(path: fifo))
    }

    @Test(.needsRoot) func namedNamespacesAreCreatedAndDeletedLikeIpNetns() throws {
        let sandbox = Sandbox("ns")
        defer { sandbox.cleanUp() }
        let name = sandbox.namespaceName("")
        let namespace = try sandbox.namespace()

        #expect(try run("ip", "netns", "list").contains(name))
        #expect(!namespace.isSame(as: try NetworkNamespace.current()))
        #expect(try NetworkNamespace.open(path: "/run/netns/\(name)").isSame(as: namespace))
        #expect(throws: NetlinkError.exists("network namespace \(name)")) { try NetworkNamespace.create(name: name) }

        #expect(try NetworkNamespace.delete(name: name))
        #expect(try NetworkNamespace.delete(name: name) == false)
        #expect(throws: NetlinkError.namespaceNotFound(path: "/run/netns/\(name)")) {
            try NetworkNamespace.open(path: "/run/netns/\(name)")
        }
        #expect(!(try run("ip", "netns", "list").contains(name)))
        #expect(throws: NetlinkError.self) { try NetworkNamespace.create(name: "../etc") }
    }

    @Test(.needsRoot) func runSwitchesOnlyTheCallingThread() throws {
        let sandbox = Sandbox("rn")
        defer { sandbox.cleanUp() }
        let namespace = try sandbox.namespace()
        let before = try NetworkNamespace.current()
        let processBefore = try NetworkNamespace.open(path: "/proc/self/ns/net")
        let isMainThread = Thread.isMainThread

        let inside = try namespace.run {
            if !isMainThread {
                // /proc/self follows the process's main thread, which must not have moved.
                #expect(try NetworkNamespace.open(path: "/proc/self/ns/net").isSame(as: processBefore))
            }
            return try NetworkNamespace.current()
        }

        #expect(inside.isSame(as: namespace))
        #expect(inside.inode == namespace.inode)
        #expect(inside.inode != before.inode)
        #expect(try NetworkNamespace.current().isSame(as: before))
    }

    @Test(.needsRoot) func runReturnsHomeWhenTheBodyThrows() throws {
        let sandbox = Sandbox("rh")
        defer { sandbox.cleanUp() }
        let namespace = try sandbox.namespace()
        let before = try NetworkNamespace.current()
        struct Failure: Error {}
        #expect(throws: Failure.self) { try namespace.run { throw Failure() } }
        #expect(try NetworkNamespace.current().isSame(as: before))
    }

    @Test(.needsRoot) func aSocketOpenedInANamespaceLeavesTheThreadHome() throws {
        let sandbox = Sandbox("sk")
        defer { sandbox.cleanUp() }
        let namespace = try sandbox.namespace()
        let before = try NetworkNamespace.current()
        let socket = try NetlinkSocket(in: namespace)
        #expect(try NetworkNamespace.current().isSame(as: before))
        // A fresh namespace holds only a loopback device, which proves the socket works there.
        #expect(try socket.links().map(\.name) == ["lo"])
    }

    @Test(.needsRoot) func anotherSocketBesidesOneOpensInItsNamespace() throws {
        let sandbox = Sandbox("sb")
        defer { sandbox.cleanUp() }
        let namespace = try sandbox.namespace()
        let home = try NetworkNamespace.current()

        #expect(try NetlinkSocket(besides: NetlinkSocket(in: namespace)).namespace().isSame(as: namespace))
        #expect(try NetlinkSocket(besides: NetlinkSocket()).namespace().isSame(as: home))
        #expect(try !NetlinkSocket(in: namespace).namespace().isSame(as: home))
        #expect(try NetworkNamespace.current().isSame(as: home))
    }

    @Test(.needsRoot) func sysctlsFollowTheCallingThreadsNamespace() throws {
        let sandbox = Sandbox("sc")
        defer { sandbox.cleanUp() }
        let namespace = try sandbox.namespace()
        let key = "net/ipv4/ip_forward"
        let hostValue = try Sysctl.read(key)

        let differentFromHost = hostValue == "1" ? "0" : "1"
        try namespace.run { () throws -> Void in
            try Sysctl.write(key, differentFromHost)
            #expect(try Sysctl.read(key) == differentFromHost)
            #expect(try Sysctl.write(key, differentFromHost) == false)
        }
        #expect(try Sysctl.read(key) == hostValue)
        #expect(throws: NetlinkError.invalidArgument("\"net/../x\" is not a sysctl key like net/ipv4/ip_forward")) {
            try Sysctl.read("net/../x")
        }
        #expect(throws: NetlinkError.notFound("read sysctl net/ipv4/no_such_setting")) {
            try Sysctl.read("net/ipv4/no_such_setting")
        }
    }
}

/// What the opening thread got, handed to the test.
private final class Outcome: Sendable {
    let error = Mutex<NetlinkError?>(nil)
}
