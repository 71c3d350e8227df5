import Addressing
import CNI
import Netlink
import Testing
@testable import MacvlanPlugin

@Suite struct MacvlanConfigTests {
    @Test func absentKeysTakeTheReferenceDefaults() throws {
        let config = try decode(MacvlanConfig.self, "{}")
        #expect(config.master == nil)
        #expect(config.mode == .bridge)
        #expect(config.mtu == nil && config.mac == nil)
        #expect(!config.linkInContainer)
    }

    @Test func emptyValuesMeanTheDefaultsAsInTheReference() throws {
        let config = try decode(MacvlanConfig.self, #"{"master": "", "mode": "", "mtu": 0, "mac": ""}"#)
        #expect(config.master == nil && config.mode == .bridge && config.mtu == nil && config.mac == nil)
    }

    @Test func givenKeysAreTaken() throws {
        let config = try decode(MacvlanConfig.self, """
            {"master": "enp1s0", "mode": "vepa", "mtu": 9000, "mac": "02:42:0a:fa:00:42", "linkInContainer": true,
             "bcqueuelen": 1000}
            """)
        #expect(config.master == InterfaceName("enp1s0"))
        #expect(config.mode == .vepa)
        // The master's MTU bounds it, checked once the master is known.
        #expect(config.mtu == 9000)
        #expect(config.mac == MACAddress("02:42:0a:fa:00:42"))
        #expect(config.linkInContainer)
    }

    @Test(arguments: ["bridge", "private", "vepa", "passthru"])
    func everyModeOfTheReferenceIsTaken(mode: String) throws {
        #expect(try decode(MacvlanConfig.self, #"{"mode": "\#(mode)"}"#).mode.rawValue == mode)
    }

    @Test(arguments: ["source", "bogus", "Bridge"])
    func otherModesAreCode7(mode: String) {
        let error = refusal(MacvlanConfig.self, #"{"mode": "\#(mode)"}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "unknown macvlan mode \"\(mode)\"")
        #expect(error?.details == "mode must be one of bridge, private, vepa, passthru")
    }

    @Test(arguments: ["a/b", "a-master-name-too-long", "."])
    func aMasterThatIsNoInterfaceNameIsCode7(master: String) {
        let error = refusal(MacvlanConfig.self, #"{"master": "\#(master)"}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg.hasPrefix("master \"\(master)\" is not an interface name: it ") == true)
    }

    @Test(arguments: [-1, 1, 67])
    func anMTUBelowEthernetsIsCode7(mtu: Int) {
        let error = refusal(MacvlanConfig.self, #"{"mtu": \#(mtu)}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "invalid MTU \(mtu), must be [0, master MTU]")
    }

    @Test func theSmallestEthernetMTUIsTaken() throws {
        #expect(try decode(MacvlanConfig.self, #"{"mtu": 68}"#).mtu == 68)
    }

    @Test(arguments: ["03:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "not-a-mac", "02:42:0a:fa:00"])
    func aMACThatIsNoUnicastAddressIsCode7(mac: String) {
        let error = refusal(MacvlanConfig.self, #"{"mac": "\#(mac)"}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg.hasPrefix("mac \"\(mac)\" is ") == true, "\(error?.msg ?? "")")
    }

    @Test func aValueOfTheWrongJSONTypeIsCode6() {
        #expect(refusal(MacvlanConfig.self, #"{"linkInContainer": "yes"}"#)?.code == .decodingFailure)
        #expect(refusal(MacvlanConfig.self, #"{"mtu": "1500"}"#)?.code == .decodingFailure)
    }
}
