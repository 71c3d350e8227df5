import Addressing
import CNI
import Identity
import Testing

@Suite struct CNIEnvironmentTests {
    let add = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c0ffee", "CNI_NETNS": "/run/netns/x",
               "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin::/usr/lib/cni:", "CNI_ARGS": "IP=10.250.0.7;K8S_POD_NAME=p"]

    private func failure(_ variables: [String: String]) -> CNIError? {
        #expect(throws: CNIError.self) { try CNIEnvironment(variables) }
    }

    private func with(_ changes: [String: String?]) -> [String: String] {
        var variables = add
        for (name, value) in changes { variables[name] = value }
        return variables
    }

    @Test func parsesACompleteAdd() throws {
        let env = try CNIEnvironment(add)
        #expect(env.command == .add)
        #expect(env.attachment == Identity.Attachment(containerID: ContainerID("c0ffee")!, interface: InterfaceName("eth0")!))
        #expect(env.netns == "/run/netns/x")
        #expect(env.searchPath == ["/opt/cni/bin", "/usr/lib/cni"])
        #expect(env.args["IP"] == "10.250.0.7")
        #expect(env.args["K8S_POD_NAME"] == "p")
        #expect(!env.netnsOverride)
    }

    @Test func missingVariablesAreListedTogetherWithCode4() {
        let error = failure(["CNI_COMMAND": "ADD", "CNI_IFNAME": ""])
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg == "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing")
    }

    @Test func checkNeedsANetnsButDelDoesNot() throws {
        #expect(failure(with(["CNI_COMMAND": "CHECK", "CNI_NETNS": nil]))?.msg
            == "required env variables [CNI_NETNS] missing")
        #expect(try CNIEnvironment(with(["CNI_COMMAND": "DEL", "CNI_NETNS": nil])).netns == nil)
        #expect(try CNIEnvironment(with(["CNI_COMMAND": "DEL", "CNI_NETNS": ""])).netns == nil)
        #expect(try CNIEnvironment(with(["CNI_COMMAND": "DEL"])).netns == "/run/netns/x")
    }

    @Test func missingCommandAndUnknownCommandAreCode4() {
        #expect(failure([:])?.code == .invalidEnvironment)
        let error = failure(with(["CNI_COMMAND": "add"]))
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg == "unknown CNI_COMMAND: add")
    }

    @Test func emptyContainerIDIsCode3() {
        let error = failure(with(["CNI_CONTAINERID": ""]))
        #expect(error?.code == .unknownContainer)
        #expect(error?.msg.contains("CNI_CONTAINERID") == true)
    }

    @Test(arguments: ["-leading-dash", "has space", "semi;colon", "ünïcode", "_x"])
    func badContainerIDCharactersAreCode4(id: String) {
        let error = failure(with(["CNI_CONTAINERID": id]))
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg.contains("CNI_CONTAINERID") == true)
    }

    @Test(arguments: ["a23456789012345x", ".", "..", "a/b", "eth0:1", "eth 0", "eth\t0"])
    func badInterfaceNamesAreCode4(name: String) {
        let error = failure(with(["CNI_IFNAME": name]))
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg.hasPrefix("invalid CNI_IFNAME") == true)
    }

    @Test func fifteenByteInterfaceNameIsFine() throws {
        #expect(try CNIEnvironment(with(["CNI_IFNAME": "a23456789012345"])).attachment?.interface.rawValue
            == "a23456789012345")
    }

    @Test func networkCommandsNeedOnlyTheCommand() throws {
        for command in ["GC", "STATUS", "VERSION"] {
            let env = try CNIEnvironment(["CNI_COMMAND": command])
            #expect(env.attachment == nil)
            #expect(env.netns == nil)
            #expect(env.searchPath.isEmpty)
        }
    }

    @Test func argsAreOnlyReadForAttachmentCommands() throws {
        let env = try CNIEnvironment(["CNI_COMMAND": "VERSION", "CNI_ARGS": "garbage", "CNI_NETNS": "/x"])
        #expect(env.args.values.isEmpty)
        #expect(env.netns == nil)
    }

    @Test func pathIsOptionalEvenForAdd() throws {
        #expect(try CNIEnvironment(with(["CNI_PATH": nil])).searchPath.isEmpty)
    }

    @Test(arguments: [("1", true), ("true", true), ("TRUE", true), ("0", false), ("yes", false)])
    func netnsOverride(value: String, expected: Bool) throws {
        #expect(try CNIEnvironment(with(["CNI_NETNS_OVERRIDE": value])).netnsOverride == expected)
    }

    @Test func searchPathIsSplitAtEveryColonByte() throws {
        #expect(try CNIEnvironment(with(["CNI_PATH": "/opt/cni/bin:\u{301}x"])).searchPath == ["/opt/cni/bin", "\u{301}x"])
    }

    @Test func malformedArgsAreCode4() {
        let error = failure(with(["CNI_ARGS": "IP=10.250.0.7;oops"]))
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg == "invalid CNI_ARGS pair \"oops\"")
    }
}

@Suite struct CNIArgsTests {
    @Test func parsesPairsAndSkipsEmptySegments() throws {
        let args = try CNIArgs(parsing: "IgnoreUnknown=1;IP=10.250.0.7;;MAC=;")
        #expect(args.values == ["IgnoreUnknown": "1", "IP": "10.250.0.7", "MAC": ""])
        #expect(try CNIArgs(parsing: "").values.isEmpty)
    }

    @Test func laterDuplicateWins() throws {
        #expect(try CNIArgs(parsing: "A=1;A=2")["A"] == "2")
    }

    @Test(arguments: ["novalue", "A=b=c", "=v"])
    func rejectsMalformedPairs(text: String) {
        let error = #expect(throws: CNIError.self) { try CNIArgs(parsing: text) }
        #expect(error?.code == .invalidEnvironment)
    }

    /// libcni splits bytes: a `;` or `=` followed by a combining mark still separates.
    @Test func separatorsBeforeACombiningMarkStillSeparate() throws {
        let args = CNIArgs(["A": "x", "\u{301}B": "y"])
        #expect(try CNIArgs(parsing: "A=x;\u{301}B=y") == args)
        #expect(try CNIArgs(parsing: args.description) == args)
        #expect(throws: CNIError.self) { try CNIArgs(parsing: "A=x=\u{301}") }
    }

    @Test func descriptionIsTheEnvironmentForm() throws {
        #expect(CNIArgs(["B": "2", "A": "1"]).description == "A=1;B=2")
        #expect(try CNIArgs(parsing: "B=2;A=1") == CNIArgs(["A": "1", "B": "2"]))
    }
}

@Suite struct CNIVersionTests {
    @Test func supportsExactlyTheReleasedVersionsFrom030() {
        #expect(CNIVersion.allCases.map(\.rawValue) == ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        #expect(CNIVersion(rawValue: "0.2.0") == nil)
        #expect(CNIVersion(rawValue: "1.1") == nil)
        #expect(CNIVersion.latest == .v1_1_0)
        #expect(CNIVersion.v0_3_1 < .v0_4_0 && CNIVersion.v0_4_0 < .v1_0_0)
    }

    @Test func commandGates() {
        #expect(!CNIVersion.v0_3_1.allows(.check))
        #expect(CNIVersion.v0_4_0.allows(.check))
        #expect(!CNIVersion.v1_0_0.allows(.gc) && !CNIVersion.v1_0_0.allows(.status))
        #expect(CNIVersion.v1_1_0.allows(.gc) && CNIVersion.v1_1_0.allows(.status))
        #expect(CNIVersion.allCases.allSatisfy { $0.allows(.add) && $0.allows(.del) })
        #expect(CNIVersion.v0_3_1.resultCarriesIPVersion && !CNIVersion.v1_0_0.resultCarriesIPVersion)
    }
}
