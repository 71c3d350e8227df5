import Addressing
import CNI
import Overlay
import Stores
import Testing
@testable import VXLANPlugin

@Suite struct VXLANConfigTests {
    static let store = #""store": {"type": "etcd", "endpoints": ["http://192.0.2.1:2379"], "hostID": "h1"}"#

    @Test func defaultsFollowTheVNI() throws {
        let config = try decode(VXLANConfig.self, #"{"vni": 42, \#(Self.store)}"#)
        #expect(config.mode == .l2)
        #expect(config.port == 4789)
        #expect(config.bridge == InterfaceName("vxbr42"))
        #expect(config.isDefaultGateway && config.underlay == nil && config.mtu == nil)
        #expect(config.hostTTL == 10)
        #expect(config.attachment.networkIsolation)
    }

    @Test func theIPAMSectionsStoreServesWhenTheConfigNamesNone() throws {
        let config = try decode(VXLANConfig.self, #"{"vni": 7, "ipam": {"type": "kv-ipam", \#(Self.store)}}"#)
        guard case .etcd(let settings, _) = config.store else {
            Issue.record("expected the ipam section's etcd store")
            return
        }
        #expect(settings.hostID == "h1")
    }

    @Test func aLocalStoreIsCode7() {
        let error = refusal(VXLANConfig.self, #"{"vni": 7, "store": {"type": "local"}}"#)
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.msg == "vxlan: the store is not shared by the hosts")
    }

    @Test(arguments: [#"{"#, #"{"vni": 0, "#, #"{"vni": 16777216, "#, #"{"vni": 1, "port": 0, "#,
                      #"{"vni": 1, "mtu": 67, "#, #"{"vni": 1, "hostTTL": 1, "#, #"{"vni": 1, "mode": "routed", "#,
                      #"{"vni": 1, "mode": "routed", "subnet": "10.96.0.0/16", "hostSubnetSize": 16, "#,
                      #"{"vni": 1, "mode": "routed", "subnet": "fd00::/48", "hostSubnetSize": 64, "#])
    func outOfRangeOrUnsupportedIsCode7(prefix: String) {
        #expect(refusal(VXLANConfig.self, prefix + Self.store + "}")?.code == .invalidNetworkConfig)
    }

    @Test func routedModeCutsItsSubnetIntoSlash24sByDefault() throws {
        let config = try decode(VXLANConfig.self, #"{"vni": 9, "mode": "routed", "subnet": "10.96.0.0/16", \#(Self.store)}"#)
        #expect(config.hostSubnets == HostSubnetPool(network: Subnet("10.96.0.0/16")!, hostPrefix: 24))
        #expect(try decode(VXLANConfig.self, #"{"vni": 9, \#(Self.store)}"#).hostSubnets == nil)
    }

    @Test func bridgeKeysReachTheBridgeAttachment() throws {
        let config = try decode(VXLANConfig.self, #"{"vni": 9, "ipMasq": true, "macspoofchk": true, \#(Self.store)}"#)
        let attachment = config.attachment.attaching(to: config.bridge, mtu: 1450, defaultGateway: true)
        #expect(attachment.ipMasq && attachment.macSpoofCheck && attachment.isGateway && attachment.isDefaultGateway)
        #expect(attachment.bridge == InterfaceName("vxbr9") && attachment.mtu == 1450)
    }
}
