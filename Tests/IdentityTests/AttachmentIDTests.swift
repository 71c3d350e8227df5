import Addressing
import Identity
import Testing

@Suite struct AttachmentIDTests {
    let attachment = AttachmentID(network: NetworkName("mynet")!, containerID: ContainerID("c0ffee")!,
                                  interface: InterfaceName("eth0")!)

    @Test func theCanonicalTextIsNetworkContainerAndInterface() {
        #expect(attachment.text == "mynet/c0ffee/eth0")
        #expect(AttachmentID(text: attachment.text) == attachment)
    }

    @Test(arguments: ["mynet/c0ffee", "mynet/c0ffee/eth0/x", "my net/c0ffee/eth0", "mynet//eth0", "", "/c/eth0"])
    func otherTextsAreNoAttachments(text: String) {
        #expect(AttachmentID(text: text) == nil)
    }

    /// Link names and firewall record keys on existing hosts are made of this hash: it must not
    /// change (FNV-1a 64, computed independently).
    @Test func theHashIsFNV1aOfTheQualifierThenTheText() {
        #expect(attachment.hash() >> 20 == 0xf2004880b13)
        #expect(attachment.hash(qualifiedBy: "portmap ") & 0xff_ffff_ffff_ffff == 0x7a33e1a3eefb21)
    }

    @Test func theLimitsKeepEveryTextWithinItsMaximum() {
        let longest = AttachmentID(network: NetworkName(String(repeating: "n", count: NetworkName.maximumLength))!,
                                   containerID: ContainerID(String(repeating: "c", count: ContainerID.maximumLength))!,
                                   interface: InterfaceName(String(repeating: "i", count: 15))!)
        #expect(longest.text.utf8.count == AttachmentID.maximumTextLength)
        #expect(NetworkName(String(repeating: "n", count: NetworkName.maximumLength + 1)) == nil)
        #expect(ContainerID(String(repeating: "c", count: ContainerID.maximumLength + 1)) == nil)
        #expect(ContainerID.problem(with: String(repeating: "c", count: 300)) == "is 300 bytes long; at most 64 are allowed")
        #expect(ContainerID.problem(with: "-c") == "must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
    }
}
