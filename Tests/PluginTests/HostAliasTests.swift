import Addressing
import Identity
import PluginKit
import Testing

@Suite struct HostAliasTests {
    /// Hosts carry these aliases on links made by earlier builds: the form must not change.
    @Test func theAliasIsThePrefixThenTheCanonicalText() {
        let attachment = AttachmentID(text: "mynet/c1/eth0")!
        #expect(attachment.hostAlias == "swift-cni/mynet/c1/eth0")
    }

    /// An interface name may begin with a combining mark, which would join the `/` before it.
    @Test(arguments: ["eth0", "\u{301}h0"])
    func aliasesParseBack(interface: String) {
        let attachment = AttachmentID(network: NetworkName("mynet")!, containerID: ContainerID("c1")!,
                                      interface: InterfaceName(interface)!)
        #expect(AttachmentID(hostAlias: attachment.hostAlias) == attachment)
    }

    @Test(arguments: ["swift-cni/mynet/c1", "swift-cni/mynet/c1/eth0/x", "other/mynet/c1/eth0", "swift-cni/my net/c1/eth0"])
    func otherTextsAreNoAliasesOfOurs(text: String) {
        #expect(AttachmentID(hostAlias: text) == nil)
    }
}
