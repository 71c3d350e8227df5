import CNI
import JSON
import Testing

@Suite struct ConfigKeysTests {
    private func unknown(_ schema: ConfigKeys, _ text: String, pluginConfig: Bool = true) throws -> [String] {
        let document = try JSONCodec.document(from: Array(text.utf8))
        return pluginConfig ? schema.unknownKeys(inPluginConfig: document) : schema.unknownKeys(in: document)
    }

    private let ranges = ConfigKeys.keys(["type", "subnet"], nested: [
        .init("ranges", .list(.list(.keys(["subnet", "gateway"])))),
    ])

    @Test func sharedKeysAreKnownAtTheTopLevelOnly() throws {
        let schema = ConfigKeys.keys(["bridge"], nested: [.init("ipam", ranges)])
        #expect(try unknown(schema, #"{"cniVersion": "1.1.0", "name": "n", "type": "t", "bridge": "b", "brige": "c"}"#)
            == ["brige"])
        #expect(try unknown(schema, #"{"ipam": {"type": "x", "name": "n"}}"#) == ["ipam.name"])
        #expect(try unknown(schema, #"{"cniVersion": "1.1.0"}"#, pluginConfig: false) == ["cniVersion"])
    }

    @Test func nestedListsAndObjectsNameTheFullPathInNameOrder() throws {
        let schema = ConfigKeys.keys([], nested: [.init("ipam", ranges)])
        #expect(try unknown(schema, """
            {"ipam": {"type": "x", "subnett": "s", "ranges": [[{"subnet": "s"}], [{"subnet": "s", "gw": "g"}]]}, "z": 1, "a": 2}
            """) == ["a", "ipam.ranges[1][0].gw", "ipam.subnett", "z"])
    }

    @Test func aSectionByTypeIsCheckedOnlyForTheTypesItNames() throws {
        let schema = ConfigKeys.keys([], nested: [.init("ipam", .ofType("kv-ipam", ranges))])
        #expect(try unknown(schema, #"{"ipam": {"type": "kv-ipam", "rnages": []}}"#) == ["ipam.rnages"])
        #expect(try unknown(schema, #"{"ipam": {"type": "host-local", "rnages": []}}"#).isEmpty)
        #expect(try unknown(schema, #"{"ipam": {"rnages": []}}"#).isEmpty)
    }

    @Test func anOpenObjectChecksOnlyWhatItLists() throws {
        let schema = ConfigKeys.object(names: [], nested: [.init("ipam", ranges)], open: true)
        #expect(try unknown(schema, #"{"bridge": "b", "vlan": 3, "ipam": {"type": "kv-ipam", "dataDirr": "/x"}}"#)
            == ["ipam.dataDirr"])
    }

    @Test func valuesOfAnotherTypeAreLeftToTheDecoder() throws {
        let schema = ConfigKeys.keys([], nested: [.init("ipam", ranges)])
        #expect(try unknown(schema, #"{"ipam": [1, 2], "name": "n"}"#).isEmpty)
        #expect(try unknown(schema, #"{"ipam": {"ranges": {"subnet": 1}}}"#).isEmpty)
        #expect(try unknown(schema, #"[1]"#).isEmpty)
    }

    @Test func theWarningIsOneLineWithEveryNameQuotedAndEscaped() {
        #expect(ConfigKeys.warning(plugin: "bridge", unknown: []).isEmpty)
        #expect(String(decoding: ConfigKeys.warning(plugin: "bridge", unknown: ["brige"]), as: UTF8.self)
            == "bridge: warning: unknown configuration key \"brige\" ignored\n")
        #expect(String(decoding: ConfigKeys.warning(plugin: "bridge", unknown: ["a\nb", "c\"d"]), as: UTF8.self)
            == "bridge: warning: unknown configuration keys \"a\\nb\", \"c\\\"d\" ignored\n")
    }
}
