import Addressing
import Identity
import Testing
@testable import BridgePlugin

@Suite struct HostVethNameTests {
    func name(_ network: String, _ containerID: String, _ interface: String) -> String {
        HostVethName.make(for: AttachmentID(text: "\(network)/\(containerID)/\(interface)")!).rawValue
    }

    /// DEL finds the host end of an attachment made by any earlier build by this name alone, so the
    /// names themselves must never change (computed independently: FNV-1a 64 of
    /// "network/container/interface", the top 44 bits in hex).
    @Test func namesAreTheFNVHashOfTheAttachment() {
        #expect(name("mynet", "c0ffee", "eth0") == "vethf2004880b13")
        #expect(name("mynet", "c0ffee", "eth1") == "vethf2004980b13")
        #expect(name("mynet", "c0ffef", "eth0") == "veth88bd2e7f30e")
        // Leading zeros are kept, so every name has the kernel's maximum length.
        #expect(name("othernet", "c0ffee", "eth0") == "veth0900406fb97")
    }

    @Test func everyNameFitsTheKernelLimitAndIsRecognised() {
        for containerID in ["a", String(repeating: "f", count: 64), "with.dots-and_under"] {
            let made = name("n", containerID, "eth0")
            #expect(made.utf8.count == 15)
            #expect(HostVethName.matches(made))
        }
    }

    @Test func onlyNamesOfThatShapeAreRecognised() {
        for other in ["veth1234", "eth0", "vethzzzzzzzzzzz", "xeth0123456789a", "veth0123456789ab"] {
            #expect(!HostVethName.matches(other), "\(other)")
        }
    }
}
