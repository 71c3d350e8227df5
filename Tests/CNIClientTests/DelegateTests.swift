import Addressing
import CNI
import CNIClient
import Foundation
import Identity
import Testing

/// Runs a real delegate: a shell script standing in for an IPAM plugin, in a directory of its own.
@Suite struct DelegateTests {
    static let script = """
        #!/bin/sh
        dir=$(dirname "$0")
        cat > "$dir/stdin.$CNI_COMMAND"
        env | grep '^CNI_\\|^KEEP' | sort > "$dir/env.$CNI_COMMAND"
        echo "probe-ipam: a log line for the runtime" >&2
        case "$CNI_COMMAND" in
        ADD) printf '%s' '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.250.2.2/24","gateway":"10.250.2.1"}],"dns":{}}' ;;
        CHECK) printf '%s' '{"cniVersion":"1.0.0","code":11,"msg":"not yet","details":"later"}'; exit 1 ;;
        GC) echo "not json"; exit 3 ;;
        esac
        exit 0
        """

    /// Exits at once without reading its stdin.
    static let deaf = "#!/bin/sh\nexit 0\n"

    let directory: URL
    let stdin = Array(#"{"cniVersion": "0.3.1", "name": "n", "type": "bridge", "ipam": {"type": "probe-ipam"}}"#.utf8)

    /// Writing an executable while a parallel test spawns can make its exec fail with ETXTBSY for a
    /// moment; `Delegate` retries that, as libcni does, so the tests need no coordination.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-cni-delegate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in [("probe-ipam", Self.script), ("deaf", Self.deaf)] {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
    }

    private func environment() -> DelegateEnvironment {
        DelegateEnvironment(containerID: ContainerID("c1"), netns: "/run/netns/c1", interface: InterfaceName("eth0"),
                            args: CNIArgs(["IP": "10.250.2.2"]), searchPath: ["/nonexistent", directory.path],
                            inherited: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                                        "KEEP": "me", "CNI_COMMAND": "STALE", "CNI_NETNS": "/stale"])
    }

    private func recorded(_ what: String, _ command: String) throws -> String {
        try String(contentsOfFile: directory.appendingPathComponent("\(what).\(command)").path, encoding: .utf8)
    }

    @Test func addReturnsTheDelegatesResultUpConverted() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Delegate.add(type: "probe-ipam", stdin: stdin, environment: environment())
        #expect(result == CNIResult(ips: [.init(address: InterfaceAddress("10.250.2.2/24")!, gateway: IPAddress("10.250.2.1"))]))
        #expect(try recorded("stdin", "ADD") == String(decoding: stdin, as: UTF8.self))
        #expect(try recorded("env", "ADD") == """
            CNI_ARGS=IP=10.250.2.2
            CNI_COMMAND=ADD
            CNI_CONTAINERID=c1
            CNI_IFNAME=eth0
            CNI_NETNS=/run/netns/c1
            CNI_PATH=/nonexistent:\(directory.path)
            KEEP=me

            """)
    }

    @Test func delOverridesTheCommandAndSucceedsQuietly() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try Delegate.del(type: "probe-ipam", stdin: stdin, environment: environment())
        #expect(try recorded("env", "DEL").contains("CNI_COMMAND=DEL\n"))
    }

    @Test func networkCommandsCarryNoAttachmentVariables() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        var env = environment()
        env.containerID = nil
        env.netns = nil
        env.interface = nil
        env.args = CNIArgs()
        try Delegate.status(type: "probe-ipam", stdin: stdin, environment: env)
        #expect(try recorded("env", "STATUS") == "CNI_COMMAND=STATUS\nCNI_PATH=/nonexistent:\(directory.path)\nKEEP=me\n")
    }

    @Test func aDelegatesCNIErrorIsRethrownWithItsCodeAndType() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: CNIError.self) {
            try Delegate.check(type: "probe-ipam", stdin: stdin, environment: environment())
        }
        #expect(error == CNIError(.tryAgainLater, "probe-ipam: not yet", details: "later"))
    }

    @Test func aFailureWithoutACNIErrorIs999WithTheOutput() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: CNIError.self) {
            try Delegate.gc(type: "probe-ipam", stdin: stdin, environment: environment())
        }
        #expect(error == CNIError(.internal, "probe-ipam exited with status 3 without a CNI error", details: "not json\n"))
    }

    @Test func aMissingPluginIsCode7NamingTheSearchPath() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: CNIError.self) {
            try Delegate.add(type: "host-local", stdin: stdin, environment: environment())
        }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "failed to find plugin \"host-local\" in path [/nonexistent \(directory.path)]")
        #expect(#expect(throws: CNIError.self) { try Delegate.executable(named: "../bin/sh", in: ["/"]) }?.code
            == .invalidNetworkConfig)
    }

    @Test func largeInputIsWrittenWhileOutputIsRead() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let large = Array(#"{"cniVersion": "1.0.0", "pad": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            + Array(#""}"#.utf8)
        _ = try Delegate.add(type: "probe-ipam", stdin: large, environment: environment())
        #expect(try recorded("stdin", "ADD").utf8.count == large.count)
    }

    @Test func aDelegateThatIgnoresItsInputDoesNotKillUs() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try Delegate.del(type: "deaf", stdin: [UInt8](repeating: 0x20, count: 1 << 20), environment: environment())
    }
}
