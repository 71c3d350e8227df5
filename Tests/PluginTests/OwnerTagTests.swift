import Addressing
import CNI
import PluginKit
import Testing

@Suite struct OwnerTagTests {
    let network = NetworkName("mynet")!

    /// An interface name may begin with a combining mark, which would join the `/` before it.
    @Test(arguments: ["eth0", "\u{301}h0"])
    func tagsParseBack(interface: String) {
        let tag = OwnerTag(network: network,
                           attachment: Attachment(containerID: ContainerID("c1")!, interface: InterfaceName(interface)!))
        #expect(OwnerTag(tag.text) == tag)
    }

    @Test(arguments: ["swift-cni/mynet/c1", "swift-cni/mynet/c1/eth0/x", "other/mynet/c1/eth0", "swift-cni/my net/c1/eth0"])
    func otherTextsAreNoTags(text: String) {
        #expect(OwnerTag(text) == nil)
    }
}
