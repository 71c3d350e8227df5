import Testing
@testable import NetCtlKit

struct FastCommandLineTests {
    @Test func readsAnAttachmentCommandWithEveryOptionInEitherSpelling() {
        let invocation = FastCommandLine.invocation([
            "add", "--ifname=eth1", "mynet", "--container-id", "c1", "demo", "--args", "A=1;B=2", "--cap", "mac=\"c2:11:22:33:44:55\"",
            "--cap=portMappings=[]", "--conf-dir", "/c", "--plugin-dir=/p1", "--plugin-dir", "/p2", "--cache-dir", "/k", "--json",
        ])
        let attachment = AttachmentArguments(network: "mynet", netns: "demo", ifname: "eth1", containerID: "c1", args: "A=1;B=2",
                                             capabilities: ["mac=\"c2:11:22:33:44:55\"", "portMappings=[]"])
        #expect(invocation == .attachment(.add, attachment, RunnerPaths(confDir: "/c", pluginDirs: ["/p1", "/p2"], cacheDir: "/k"),
                                          json: true))
        #expect(FastCommandLine.invocation(["del", "mynet", "/run/netns/demo"])
            == .attachment(.del, AttachmentArguments(network: "mynet", netns: "/run/netns/demo"), RunnerPaths(), json: false))
    }

    @Test func readsGCAndStatusWithTheirOptions() {
        #expect(FastCommandLine.invocation(["gc", "mynet", "--json", "--conf-dir", "/c"])
            == .network(.gc, network: "mynet", RunnerPaths(confDir: "/c"), json: true))
        #expect(FastCommandLine.invocation(["status", "--cache-dir=/k", "mynet"])
            == .network(.status, network: "mynet", RunnerPaths(cacheDir: "/k"), json: false))
    }

    /// Whatever the commands do not declare is left to the parser proper, which answers as documented.
    @Test func leavesEveryOtherLineToTheParser() {
        for line in [
            [], ["--help"], ["--version"], ["network", "ls"], ["lab", "up", "f.yaml"],
            ["add"], ["add", "mynet"], ["add", "mynet", "demo", "extra"], ["add", "mynet", "demo", "--help"],
            ["add", "mynet", "demo", "-h"], ["add", "mynet", "demo", "--ifname"], ["add", "mynet", "demo", "--json=true"],
            ["add", "mynet", "demo", "--", "x"], ["del", "mynet", "demo", "--json"], ["check", "mynet", "demo", "--json"],
            ["gc"], ["gc", "mynet", "demo"], ["gc", "mynet", "--ifname", "eth1"], ["status", "mynet", "--json"],
            ["status", "mynet", "--cap", "a=1"], ["Add", "mynet", "demo"],
        ] {
            #expect(FastCommandLine.invocation(line) == nil, "\(line)")
        }
    }

    @Test func invalidValuesAreUsageErrorsRaisedBeforeAnythingRuns() {
        for (arguments, message) in [
            (AttachmentArguments(network: "n", netns: "demo", ifname: "a b"), "invalid --ifname"),
            (AttachmentArguments(network: "n", netns: "demo", containerID: "-x"), "invalid --container-id"),
            (AttachmentArguments(network: "n", netns: "demo", args: "A"), "invalid --args pair"),
            (AttachmentArguments(network: "n", netns: "demo", capabilities: ["portMappings=["]), "invalid --cap portMappings"),
        ] {
            #expect { try arguments.runtime() } throws: { error in
                (error as? UsageError)?.message.hasPrefix(message) == true
            }
        }
    }

    @Test func theDefaultContainerIDDependsOnlyOnTheNamespacePath() throws {
        let byName = try AttachmentArguments(network: "n", netns: "demo").runtime()
        let byPath = try AttachmentArguments(network: "m", netns: "/var/run/netns/demo", ifname: "eth1").runtime()
        #expect(byName.containerID == byPath.containerID && byName.containerID.rawValue.hasPrefix("netctl-"))
        #expect(byName.netns == "/var/run/netns/demo")
        // FNV-1a of the path in 16 hex digits, leading zeros kept: the IDs cache entries on disk are named by.
        #expect(byName.containerID.rawValue == "netctl-1a555db9cfc8f5c0")
        #expect(AttachmentArguments.defaultContainerID(for: "/a") == "netctl-07d66707b49cd92d")
    }
}
