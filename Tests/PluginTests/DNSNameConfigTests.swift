import Addressing
import CNI
import DNSRecords
import Stores
import Testing
@testable import DNSNamePlugin

@Suite struct DNSNameConfigTests {
    @Test func podmansConfigTakesTheDefaults() throws {
        let config = try decode(DNSNameConfig.self, #"{"type": "dnsname", "domainName": "dns.podman", "capabilities": {"aliases": true}}"#)
        #expect(config.domainName == "dns.podman")
        #expect(config.upstreams == nil && config.aliases.isEmpty)
        #expect(config.store == .local(dataDir: StoreConfiguration.defaultDataDir))
        #expect(try decode(DNSNameConfig.self, "{}").domainName == "dns.podman")
        #expect(try decode(DNSNameConfig.self, #"{"domainName": "example.test."}"#).domainName == "example.test")
    }

    @Test func aliasesAndOurKeysAreTaken() throws {
        let config = try decode(DNSNameConfig.self, """
            {"upstreams": ["127.0.0.1:5300", "fd00::53"], "dataDir": "/run/x",
             "runtimeConfig": {"aliases": {"app": ["web", "www"], "other": ["db"]}}}
            """)
        #expect(config.upstreams == [DNSUpstream(address: IPAddress("127.0.0.1")!, port: 5300), DNSUpstream(address: IPAddress("fd00::53")!)])
        #expect(config.dataDir == "/run/x")
        #expect(config.aliases == ["app": ["web", "www"], "other": ["db"]])
    }

    @Test(arguments: [#"{"domainName": "bad domain"}"#, #"{"domainName": "a..b"}"#, #"{"upstreams": ["host:53"]}"#])
    func badValuesAreInvalidConfig(json: String) {
        #expect(refusal(DNSNameConfig.self, json)?.code == .invalidNetworkConfig)
    }

    @Test func aRelativeDataDirIsRefusedAsKVIPAMRefusesIt() {
        // StoreConfigurationError, which PluginKit maps to code 7.
        #expect(throws: StoreConfigurationError.self) { try decode(DNSNameConfig.self, #"{"dataDir": "relative"}"#) }
    }

    @Test func namesFollowDNSSyntax() {
        for name in ["web", "my_app-1", "web.internal", String(repeating: "a", count: 63)] { #expect(DNSNameSyntax.isValid(name)) }
        for name in ["", "a b", "a..b", ".a", "é", String(repeating: "a", count: 64)] { #expect(!DNSNameSyntax.isValid(name)) }
    }

    @Test func ourNameserversAndDomainComeFirstWithoutRepeats() {
        let gateway = IPAddress("10.88.0.1")!
        let fresh = DNSNamePlugin.merged(nil, nameservers: [gateway], search: "dns.podman")
        #expect(fresh.nameservers == ["10.88.0.1"] && fresh.search == ["dns.podman"])
        let existing = CNIResult.DNS(nameservers: ["1.1.1.1", "10.88.0.1"], domain: "corp", search: ["corp", "dns.podman"], options: ["ndots:1"])
        let merged = DNSNamePlugin.merged(existing, nameservers: [gateway], search: "dns.podman")
        #expect(merged.nameservers == ["10.88.0.1", "1.1.1.1"])
        #expect(merged.search == ["dns.podman", "corp"])
        #expect(merged.domain == "corp" && merged.options == ["ndots:1"])
    }
}
