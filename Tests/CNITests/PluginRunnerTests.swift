import Addressing
import CNI
import FoundationEssentials
import Glibc
import Identity
import Synchronization
import Testing

/// What the probe plugin was called with, keyed by container ID (or network name for GC and
/// STATUS) so that tests running in parallel do not see each other's calls.
private let calls = Mutex<[String: Call]>([:])

private struct Call: Sendable, Equatable {
    var command: CNICommand
    var netns: String?
    var args: CNIArgs?
    var searchPath: [String]
    var network: NetworkConfig
    var mtu: Int?
}

private struct PlainError: Error, CustomStringConvertible {
    var description: String { "something plain went wrong" }
}

private struct ProbePlugin: CNIPlugin {
    struct Config: Decodable, KnownConfigKeys {
        var fail: String?
        var mtu: Int?
        var subnet: Subnet?

        static let configKeys = ConfigKeys.keys(["fail", "mtu", "subnet"])
    }

    static let name = "probe"

    /// `probe echo WORDS...` prints the words; anything else is not the probe's.
    static func commandLine(_ arguments: [String]) -> PluginRunner.Output? {
        guard arguments.first == "echo" else { return nil }
        return PluginRunner.Output(stdout: Array(arguments.dropFirst().joined(separator: " ").utf8))
    }

    private func record(_ key: String, _ call: Call, failing mode: String?) throws {
        calls.withLock { $0[key] = call }
        switch mode {
        case "coded": throw CNIError(.tryAgainLater, "busy", details: "try later")
        case "plain": throw PlainError()
        case "decoding": _ = try JSONDecoder().decode([Int].self, from: Data(#"{"a": 1}"#.utf8))
        default: break
        }
    }

    private func record(_ request: AttachmentRequest<Config>) throws {
        try record(request.containerID.rawValue,
                   Call(command: request.command, netns: request.netns, args: request.args,
                        searchPath: request.searchPath, network: request.network, mtu: request.config.mtu),
                   failing: request.config.fail)
    }

    private func record(_ request: NetworkRequest<Config>) throws {
        try record(request.network.name.rawValue,
                   Call(command: request.command, searchPath: request.searchPath, network: request.network,
                        mtu: request.config.mtu),
                   failing: request.config.fail)
    }

    func add(_ request: AttachmentRequest<Config>) throws -> CNIResult {
        try record(request)
        return CNIResult(interfaces: [.init(name: request.interface.rawValue, mtu: request.config.mtu, sandbox: request.netns)],
                         ips: [.init(address: InterfaceAddress("10.250.1.2/24")!, interface: 0)])
    }

    func del(_ request: AttachmentRequest<Config>) throws { try record(request) }
    func check(_ request: AttachmentRequest<Config>) throws { try record(request) }
    func gc(_ request: NetworkRequest<Config>) throws { try record(request) }
    func status(_ request: NetworkRequest<Config>) throws { try record(request) }
}

private struct HostLikePlugin: CNIPlugin {
    typealias Config = EmptyConfig
    static let name = "hostlike"
    static let acceptsOwnNamespace = true

    func add(_ request: AttachmentRequest<Config>) throws -> CNIResult { CNIResult() }
    func del(_ request: AttachmentRequest<Config>) throws {}
    func check(_ request: AttachmentRequest<Config>) throws {}
    func gc(_ request: NetworkRequest<Config>) throws {}
    func status(_ request: NetworkRequest<Config>) throws {}
}

@Suite struct PluginRunnerTests {
    /// A regular file, as namespace files are, and certainly not a network namespace: the runner
    /// only compares identities.
    static let someOtherNetns = "/proc/version"

    private func environment(_ command: String, id: String, netns: String? = someOtherNetns,
                             extra: [String: String] = [:]) -> [String: String] {
        var variables = ["CNI_COMMAND": command, "CNI_CONTAINERID": id, "CNI_IFNAME": "eth0",
                         "CNI_PATH": "/opt/cni/bin:/usr/lib/cni"]
        variables["CNI_NETNS"] = netns
        return variables.merging(extra) { $1 }
    }

    private func config(_ version: String = "1.1.0", name: String = "probe-net", _ extra: String = "") -> [UInt8] {
        Array(#"{"cniVersion": "\#(version)", "name": "\#(name)", "type": "probe"\#(extra)}"#.utf8)
    }

    private func run(_ environment: [String: String], _ stdin: [UInt8]) -> PluginRunner.Output {
        PluginRunner.run(ProbePlugin.self, environment: environment, stdin: stdin)
    }

    /// The error document of a failed run, checked for shape on the way.
    private func error(of output: PluginRunner.Output) throws -> (version: JSONValue?, error: CNIError) {
        #expect(output.exitCode == 1)
        let document = try JSONValue(parsing: output.stdout)
        return (document["cniVersion"], try JSONDecoder().decode(CNIError.self, from: Data(output.stdout)))
    }

    private func call(_ key: String) -> Call? { calls.withLock { $0[key] } }

    @Test func withoutACommandItPrintsAboutTextToStderr() {
        let output = PluginRunner.run(ProbePlugin.self, environment: [:], stdin: { Issue.record("read stdin"); return [] })
        #expect(output.exitCode == 0)
        #expect(output.stdout.isEmpty)
        #expect(String(decoding: output.stderr, as: UTF8.self) == """
            CNI probe plugin v\(SuiteVersion.current) (swift-cni)
            CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0

            """)
    }

    @Test func versionOptionPrintsTheAboutTextToStdout() {
        let output = PluginRunner.run(ProbePlugin.self, environment: [:], arguments: ["--version"], stdin: [])
        #expect(output.exitCode == 0)
        #expect(output.stderr.isEmpty)
        #expect(String(decoding: output.stdout, as: UTF8.self).hasPrefix("CNI probe plugin v\(SuiteVersion.current) (swift-cni)\n"))
    }

    @Test func theSuiteVersionIsMajorMinorPatch() {
        let parts = SuiteVersion.current.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) })
        #expect(SuiteVersion.tag == "v" + SuiteVersion.current)
    }

    @Test func withoutACommandThePluginAnswersItsOwnCommandLine() {
        let output = PluginRunner.run(ProbePlugin.self, environment: [:], arguments: { ["echo", "a", "b"] },
                                      stdin: { Issue.record("read stdin"); return [] })
        #expect(output == PluginRunner.Output(stdout: Array("a b".utf8)))
    }

    @Test func aCommandLineThePluginDoesNotTakeGetsTheAboutText() {
        let output = PluginRunner.run(ProbePlugin.self, environment: [:], arguments: ["other"], stdin: [])
        #expect(output.stdout.isEmpty)
        #expect(String(decoding: output.stderr, as: UTF8.self).hasPrefix("CNI probe plugin v\(SuiteVersion.current) (swift-cni)\n"))
    }

    @Test func withACommandTheCommandLineIsNotRead() {
        let output = PluginRunner.run(ProbePlugin.self, environment: ["CNI_COMMAND": "VERSION"],
                                      arguments: { Issue.record("read the command line"); return ["echo"] },
                                      stdin: { [] })
        #expect(output.exitCode == 0)
        #expect(!output.stdout.isEmpty)
    }

    @Test func versionIgnoresStdin() throws {
        let output = PluginRunner.run(ProbePlugin.self, environment: ["CNI_COMMAND": "VERSION"],
                                      stdin: { Issue.record("read stdin"); return [] })
        #expect(output.exitCode == 0)
        #expect(try JSONValue(parsing: output.stdout) == JSONValue(parsing: """
            {"cniVersion": "1.1.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]}
            """))
    }

    @Test func addPassesValidatedInputAndPrintsTheResultInTheConfigVersion() throws {
        let output = run(environment("ADD", id: "add-ok", extra: ["CNI_ARGS": "IP=10.250.1.2"]),
                         config("0.3.1", #", "mtu": 1400, "ipam": {"type": "kv-ipam"}"#))
        #expect(output.exitCode == 0)
        #expect(try JSONValue(parsing: output.stdout) == JSONValue(parsing: """
            {"cniVersion": "0.3.1", "interfaces": [{"name": "eth0", "sandbox": "/proc/version"}],
             "ips": [{"version": "4", "address": "10.250.1.2/24", "interface": 0}]}
            """))
        let seen = try #require(call("add-ok"))
        #expect(seen.command == .add)
        #expect(seen.netns == Self.someOtherNetns)
        #expect(seen.args == CNIArgs(["IP": "10.250.1.2"]))
        #expect(seen.searchPath == ["/opt/cni/bin", "/usr/lib/cni"])
        #expect(seen.network.ipamType == "kv-ipam")
        #expect(seen.mtu == 1400)
    }

    @Test func environmentErrorsComeFirstWithTheirCodes() throws {
        #expect(try error(of: run(environment("ADD", id: ""), config())).error.code == .unknownContainer)
        #expect(try error(of: run(environment("ADD", id: "x", netns: nil), config())).error.code == .invalidEnvironment)
        #expect(try error(of: run(environment("BOGUS", id: "x"), config())).error.code == .invalidEnvironment)
    }

    @Test func stdinFailureIsCode5() throws {
        let output = PluginRunner.run(ProbePlugin.self, environment: environment("ADD", id: "io"),
                                      stdin: { throw PlainError() })
        let (_, failure) = try error(of: output)
        #expect(failure.code == .ioFailure)
        #expect(failure.details == "something plain went wrong")
    }

    @Test func malformedConfigIsCode6ReportedIn110() throws {
        let (version, failure) = try error(of: run(environment("ADD", id: "bad-json"), Array("{\"cniVersion\": ".utf8)))
        #expect(failure.code == .decodingFailure)
        #expect(version == .string("1.1.0"))
        #expect(call("bad-json") == nil)
    }

    @Test func badNetworkNameIsCode7ReportedInTheConfigVersion() throws {
        let (version, failure) = try error(of: run(environment("DEL", id: "bad-name"), config("0.4.0", name: "no good")))
        #expect(failure.code == .invalidNetworkConfig)
        #expect(version == .string("0.4.0"))
    }

    @Test func unsupportedVersionIsCode1() throws {
        let (_, failure) = try error(of: run(environment("ADD", id: "old"), config("0.2.0")))
        #expect(failure.code == .incompatibleVersion)
        #expect(failure.msg == "incompatible CNI versions")
    }

    @Test func checkNeeds040AndGCAndStatusNeed110() throws {
        #expect(try error(of: run(environment("CHECK", id: "gate"), config("0.3.1"))).error.msg
            == "config version does not allow CHECK")
        #expect(try error(of: run(["CNI_COMMAND": "GC"], config("1.0.0"))).error.code == .incompatibleVersion)
        #expect(try error(of: run(["CNI_COMMAND": "STATUS"], config("1.0.0"))).error.msg
            == "config version does not allow STATUS")
        #expect(run(environment("CHECK", id: "gate-ok"), config("0.4.0")).exitCode == 0)
        #expect(run(["CNI_COMMAND": "STATUS"], config("1.1.0", name: "status-ok")).exitCode == 0)
        #expect(call("status-ok")?.command == .status)
    }

    @Test func gcGetsTheValidAttachments() throws {
        let output = run(["CNI_COMMAND": "GC", "CNI_PATH": "/opt/cni/bin"], config("1.1.0", name: "gc-net", """
            , "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]
            """))
        #expect(output.exitCode == 0)
        #expect(output.stdout.isEmpty)
        let seen = try #require(call("gc-net"))
        #expect(seen.network.validAttachments == [Identity.Attachment(containerID: ContainerID("c1")!, interface: InterfaceName("eth0")!)])
        #expect(seen.searchPath == ["/opt/cni/bin"])
    }

    @Test func pluginConfigProblemsNameTheKey() throws {
        let wrongType = try error(of: run(environment("ADD", id: "cfg6"), config("1.1.0", #", "mtu": "big""#))).error
        #expect(wrongType.code == .decodingFailure)
        #expect(wrongType.msg == "failed to decode plugin config")
        #expect(wrongType.details?.hasPrefix("mtu: ") == true)

        let badValue = try error(of: run(environment("ADD", id: "cfg7"), config("1.1.0", #", "subnet": "10.0.0.1/8""#))).error
        #expect(badValue.code == .invalidNetworkConfig)
        #expect(badValue.details?.hasPrefix("subnet: ") == true)
        #expect(call("cfg6") == nil && call("cfg7") == nil)
    }

    @Test func anUnknownKeyIsNamedInOneStderrLineAndTheAddGoesOn() throws {
        let output = run(environment("ADD", id: "unknown-key"), config("1.1.0", #", "mut": 1400"#))
        #expect(output.exitCode == 0)
        #expect(String(decoding: output.stderr, as: UTF8.self) == "probe: warning: unknown configuration key \"mut\" ignored\n")
        #expect(try JSONValue(parsing: output.stdout)["cniVersion"] == .string("1.1.0"))
        #expect(call("unknown-key")?.mtu == nil)
    }

    @Test func everyCommandNamesUnknownKeysEvenWhenItFails() throws {
        let del = run(environment("DEL", id: "unknown-del"), config("1.1.0", #", "mut": 1, "fial": "x""#))
        #expect(del.exitCode == 0)
        #expect(String(decoding: del.stderr, as: UTF8.self)
            == "probe: warning: unknown configuration keys \"fial\", \"mut\" ignored\n")

        let failing = run(environment("ADD", id: "unknown-bad"), config("1.1.0", #", "mut": 1, "mtu": "big""#))
        #expect(try error(of: failing).error.code == .decodingFailure)
        #expect(String(decoding: failing.stderr, as: UTF8.self) == "probe: warning: unknown configuration key \"mut\" ignored\n")
    }

    @Test func keysEveryConfigMayCarryAreNotNamed() throws {
        let output = run(environment("ADD", id: "shared-keys"), config("1.1.0", """
            , "cniVersions": ["1.0.0", "1.1.0"], "capabilities": {"portMappings": true}, "ipMasq": true,
            "dns": {"nameservers": ["10.0.0.53"]}, "ipam": {"type": "host-local", "anything": 1},
            "runtimeConfig": {"whatever": 1}, "args": {"cni": {"mine": 1}}, "mtu": 1400
            """))
        #expect(output.exitCode == 0)
        #expect(output.stderr.isEmpty)
    }

    @Test func ownNamespaceIsRefusedWithCode8() throws {
        let own = "/proc/self/ns/net"
        for command in ["ADD", "DEL", "CHECK"] {
            let (_, failure) = try error(of: run(environment(command, id: "own-\(command)", netns: own), config()))
            #expect(failure.code == .invalidNetNS)
            #expect(call("own-\(command)") == nil)
        }
    }

    @Test(arguments: ["1", "true", "True"])
    func ownNamespaceIsAllowedWithTheOverride(value: String) {
        let variables = environment("ADD", id: "override-\(value)", netns: "/proc/self/ns/net",
                                    extra: ["CNI_NETNS_OVERRIDE": value])
        #expect(run(variables, config()).exitCode == 0)
    }

    @Test func ownNamespaceIsAllowedForAPluginThatAcceptsIt() {
        let output = PluginRunner.run(HostLikePlugin.self,
                                      environment: environment("ADD", id: "host", netns: "/proc/self/ns/net"),
                                      stdin: config())
        #expect(output.exitCode == 0)
    }

    @Test func missingNetnsIsCode3ForAddAndCheckButPassedToDel() throws {
        let gone = "/run/netns/swift-cni-test-does-not-exist"
        for command in ["ADD", "CHECK"] {
            let (_, failure) = try error(of: run(environment(command, id: "gone-\(command)", netns: gone), config()))
            #expect(failure.code == .unknownContainer)
            #expect(failure.description == "container unknown or does not exist: netns \(gone) does not exist")
        }
        #expect(run(environment("DEL", id: "gone-del", netns: gone), config()).exitCode == 0)
        #expect(call("gone-del")?.netns == gone)
        #expect(run(environment("DEL", id: "no-netns", netns: nil), config()).exitCode == 0)
        #expect(call("no-netns")?.command == .del)
        #expect(call("no-netns")?.netns == nil)
    }

    /// Namespace files are regular files: nothing else is opened, as opening a FIFO would block.
    @Test func aNetnsThatIsNoRegularFileIsCode3ForAddAndCheckButPassedToDel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-cni-netns-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = "\(directory)/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        for (index, (path, kind)) in [(fifo, "a FIFO"), ("/dev/null", "a character device"), (directory, "a directory")].enumerated() {
            for command in ["ADD", "CHECK"] {
                let id = "odd-\(command)-\(index)"
                let (_, failure) = try error(of: run(environment(command, id: id, netns: path), config()))
                #expect(failure.code == .unknownContainer)
                #expect(failure.description == "container unknown or does not exist: netns \(path) is \(kind), not a network namespace")
                #expect(call(id) == nil)
            }
        }
        #expect(run(environment("DEL", id: "odd-del", netns: fifo), config()).exitCode == 0)
        #expect(call("odd-del")?.netns == fifo)
    }

    @Test func pluginErrorsKeepTheirCodesAndOthersBecome999() throws {
        let coded = try error(of: run(environment("ADD", id: "e-coded"), config("1.0.0", #", "fail": "coded""#)))
        #expect(coded.error == CNIError(.tryAgainLater, "busy", details: "try later"))
        #expect(coded.version == .string("1.0.0"))

        let plain = try error(of: run(environment("DEL", id: "e-plain"), config("1.0.0", #", "fail": "plain""#)))
        #expect(plain.error == CNIError(.internal, "something plain went wrong"))

        let decoding = try error(of: run(environment("CHECK", id: "e-dec"), config("1.0.0", #", "fail": "decoding""#)))
        #expect(decoding.error.code == .decodingFailure)
    }
}
