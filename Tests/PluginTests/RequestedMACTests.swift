import Addressing
import CNI
import Identity
import PluginKit
import Testing

@Suite struct RequestedMACTests {
    /// An ADD whose config carries `keys` beside the shared ones, with `cniArgs` as CNI_ARGS.
    func request(_ keys: String = "", cniArgs: [String: String] = [:]) throws -> AttachmentRequest<EmptyConfig> {
        let stdin = Array(#"{"cniVersion": "1.0.0", "name": "n", "type": "macvlan"\#(keys)}"#.utf8)
        return AttachmentRequest(command: .add, attachment: Identity.Attachment(containerID: ContainerID("c")!,
                                                                       interface: InterfaceName("eth0")!),
                                 netns: "/run/netns/c", args: CNIArgs(cniArgs), searchPath: [],
                                 network: try NetworkConfig.decode(from: stdin), config: EmptyConfig(), stdin: stdin)
    }

    let runtime = #", "runtimeConfig": {"mac": "02:00:00:00:00:01"}"#
    let args = #", "args": {"cni": {"mac": "02:00:00:00:00:02"}}"#
    let cniArgs = ["MAC": "02:00:00:00:00:03"]

    @Test func noneAskedForIsNil() throws {
        #expect(try RequestedMAC.from(request()) == nil)
        #expect(try RequestedMAC.from(request(#", "runtimeConfig": {}, "args": {"cni": {}}"#)) == nil)
    }

    @Test func theCapabilityWinsOverArgsWhichWinOverCNIArgs() throws {
        #expect(try RequestedMAC.from(request(runtime + args, cniArgs: cniArgs)) == MACAddress("02:00:00:00:00:01"))
        #expect(try RequestedMAC.from(request(args, cniArgs: cniArgs)) == MACAddress("02:00:00:00:00:02"))
        #expect(try RequestedMAC.from(request(cniArgs: cniArgs)) == MACAddress("02:00:00:00:00:03"))
        #expect(try RequestedMAC.from(request(runtime)) == MACAddress("02:00:00:00:00:01"))
    }

    /// The source that wins is the one checked: a bad MAC there is refused even when a lower source
    /// holds a good one.
    @Test func aWinningMACThatIsNoUnicastAddressIsCode7NamingItsSource() throws {
        let cases: [(String, [String: String], String)] = [
            (#", "runtimeConfig": {"mac": "01:00:5e:00:00:01"}"# + args, [:], #"runtimeConfig.mac "01:00:5e:00:00:01""#),
            (#", "args": {"cni": {"mac": "nonsense"}}"#, cniArgs, #"args.cni.mac "nonsense""#),
            ("", ["MAC": "ff:ff:ff:ff:ff:ff"], #"CNI_ARGS MAC "ff:ff:ff:ff:ff:ff""#),
        ]
        for (keys, cniArgs, named) in cases {
            let error = #expect(throws: CNIError.self) { try RequestedMAC.from(request(keys, cniArgs: cniArgs)) }
            #expect(error?.code == .invalidNetworkConfig)
            #expect(error?.msg.hasPrefix("\(named) is ") == true, "\(error?.msg ?? "")")
        }
    }
}
