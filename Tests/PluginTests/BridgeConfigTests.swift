import Addressing
import CNI
import Testing
@testable import BridgePlugin

@Suite struct BridgeConfigTests {
    @Test func absentKeysTakeTheReferenceDefaults() throws {
        let config = try decode(BridgeConfig.self, "{}")
        #expect(config.bridge == InterfaceName("cni0"))
        #expect(!config.isGateway && !config.isDefaultGateway && !config.forceAddress)
        #expect(config.mtu == nil)
        #expect(!config.hairpinMode && !config.promiscMode && !config.enableDAD)
        #expect(!config.ipMasq && !config.macSpoofCheck)
        #expect(config.networkIsolation)
    }

    @Test func keysAreSpelledAsTheReferenceSpellsThem() throws {
        let config = try decode(BridgeConfig.self, """
            {"bridge": "br-lab", "isGateway": true, "forceAddress": true, "mtu": 1400, "hairpinMode": true,
             "enabledad": true, "ipMasq": true, "macspoofchk": true, "networkIsolation": false}
            """)
        #expect(config.bridge == InterfaceName("br-lab"))
        #expect(config.isGateway && config.forceAddress && config.hairpinMode && config.enableDAD)
        #expect(config.mtu == 1400)
        #expect(config.ipMasq && config.macSpoofCheck)
        #expect(!config.networkIsolation)
    }

    @Test func defaultGatewayImpliesGateway() throws {
        let config = try decode(BridgeConfig.self, #"{"isDefaultGateway": true, "isGateway": false}"#)
        #expect(config.isDefaultGateway && config.isGateway)
    }

    @Test(arguments: [68, 1500, 65535])
    func mtuWithinEthernetLimitsIsTaken(mtu: Int) throws {
        #expect(try decode(BridgeConfig.self, #"{"mtu": \#(mtu)}"#).mtu == mtu)
    }

    @Test(arguments: [67, 65536])
    func mtuOutsideEthernetLimitsIsCode7(mtu: Int) {
        let error = refusal(BridgeConfig.self, #"{"mtu": \#(mtu)}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "mtu \(mtu) is out of range")
    }

    @Test func hairpinAndPromiscuousTogetherAreCode7() {
        let error = refusal(BridgeConfig.self, #"{"hairpinMode": true, "promiscMode": true}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "hairpinMode and promiscMode cannot both be set")
    }

    @Test(arguments: [#""vlan": 100"#, #""vlanTrunk": [{"id": 5}]"#, #""disableContainerInterface": true"#,
                      #""portIsolation": true"#])
    func optionsOfTheReferenceWeDoNotOfferAreCode2(field: String) {
        let error = refusal(BridgeConfig.self, "{\(field)}")
        #expect(error?.code == .unsupportedField)
        let key = field.split(separator: "\"")[0]
        #expect(error?.msg.hasPrefix("unsupported field \"\(key)\"") == true)
        #expect(error?.details == "remove \"\(key)\" from the bridge configuration")
    }

    @Test(arguments: [#""vlan": 0"#, #""vlanTrunk": []"#, #""disableContainerInterface": false"#,
                      #""portIsolation": null"#])
    func thoseOptionsAskingForNothingAreAccepted(field: String) throws {
        _ = try decode(BridgeConfig.self, "{\(field)}")
    }

    @Test func aBridgeNameTheKernelWouldRefuseIsCode7() {
        let error = refusal(BridgeConfig.self, #"{"bridge": "a-bridge-name-too-long"}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.details?.hasPrefix("bridge: interface name \"a-bridge-name-too-long\"") == true)
    }

    @Test func aValueOfTheWrongJSONTypeIsCode6() {
        let error = refusal(BridgeConfig.self, #"{"mtu": "large"}"#)
        #expect(error?.code == .decodingFailure)
        #expect(error?.details?.hasPrefix("mtu: ") == true)
    }
}
