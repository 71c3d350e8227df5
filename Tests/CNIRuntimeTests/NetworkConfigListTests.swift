import CNI
import CNIRuntime
import Foundation
import JSON
import Testing

@Suite struct NetworkConfigListTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func readsAListAsLibcniDoes() throws {
        let list = try NetworkConfigList(parsing: Self.bytes("""
            {"cniVersion":"1.0.0","name":"web","disableCheck":"TRUE",
             "plugins":[{"type":"bridge","bridge":"br9"},{"type":"portmap","capabilities":{"portMappings":true,"mac":false}}]}
            """), path: "/etc/cni/net.d/10-web.conflist")
        #expect(list.name.rawValue == "web")
        #expect(list.cniVersion == .v1_0_0)
        #expect(list.disableCheck && !list.disableGC)
        #expect(list.plugins.map(\.type) == ["bridge", "portmap"])
        #expect(list.plugins[1].capabilities == ["portMappings"])
        #expect(list.mainPlugin.type == "bridge")
    }

    @Test func picksTheHighestVersionItSpeaksFromCNIVersions() throws {
        let list = try NetworkConfigList(parsing: Self.bytes("""
            {"cniVersion":"0.4.0","cniVersions":["1.0.0","9.9.9","0.3.1"],"name":"n","plugins":[{"type":"x"}]}
            """))
        #expect(list.cniVersion == .v1_0_0)
        #expect(list.offeredVersions == [.v1_0_0, .v0_4_0, .v0_3_1])
    }

    @Test func refusesVersionsItDoesNotSpeakNamingTheFile() {
        #expect {
            try NetworkConfigList(parsing: Self.bytes(#"{"cniVersion":"0.2.0","name":"n","plugins":[{"type":"x"}]}"#), path: "/d/a.conflist")
        } throws: { error in
            let error = error as! CNIError
            return error.code == .incompatibleVersion && error.msg.contains("/d/a.conflist") && error.msg.contains("0.2.0")
        }
    }

    @Test func badJSONNamesTheFile() {
        #expect {
            try NetworkConfigList(parsing: Self.bytes(#"{"name": "n", "plugins": [}"#), path: "/d/bad.conflist")
        } throws: { error in
            let error = error as! CNIError
            return error.code == .decodingFailure && error.msg.hasPrefix("/d/bad.conflist")
        }
    }

    @Test func refusesPluginsWithoutAType() {
        #expect(throws: CNIError.self) {
            try NetworkConfigList(parsing: Self.bytes(#"{"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"x"}]}"#))
        }
        #expect(throws: CNIError.self) {
            try NetworkConfigList(parsing: Self.bytes(#"{"cniVersion":"1.0.0","name":"n","plugins":[]}"#))
        }
    }

    @Test func aSinglePluginConfBecomesAListOfOne() throws {
        let list = try NetworkConfigList(contentsOf: Self.bytes(#"{"cniVersion":"0.3.1","name":"old","type":"bridge","bridge":"b0"}"#),
                                         path: "/d/old.conf")
        #expect(list.name.rawValue == "old")
        #expect(list.cniVersion == .v0_3_1)
        #expect(list.plugins.count == 1)
        guard case .object(let members) = list.plugins[0].object else { Issue.record("not an object"); return }
        #expect(members["bridge"] == JSONValue.string("b0"))
    }

    @Test func aDirectoryReadsListsBeforeSingleFilesAndTheFirstNameWins() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netctl-conf-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ name: String, _ text: String) throws {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write("00-a.conf", #"{"cniVersion":"1.0.0","name":"a","type":"single"}"#)
        try write("10-a.conflist", #"{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"listed"}]}"#)
        try write("20-a.conflist", #"{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"later"}]}"#)
        try write("30-broken.conflist", #"{"name": "#)
        try write("notes.txt", "not a configuration")
        let configs = ConfigDirectory(path: directory.path)
        let contents = try configs.load()
        #expect(contents.lists.map(\.name.rawValue) == ["a"])
        #expect(contents.failures.map { $0.path.hasSuffix("30-broken.conflist") } == [true])
        #expect(try configs.list(named: "a").mainPlugin.type == "listed")
        #expect {
            try configs.list(named: "missing")
        } throws: { error in
            "\(error)".contains("30-broken.conflist") && "\(error)".contains("no network \"missing\"")
        }
    }

    /// A file that does not parse is skipped on the way to the network, a link to a file counts as the
    /// file, and a directory named like a configuration is no configuration.
    @Test func aNetworkIsFoundPastBrokenFilesAndThroughLinks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netctl-conf-links-\(getpid())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("05-dir.conflist"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"{"name": "#.write(to: directory.appendingPathComponent("01-broken.conflist"), atomically: true, encoding: .utf8)
        let target = directory.appendingPathComponent("elsewhere.txt")
        try #"{"cniVersion":"1.0.0","name":"b","plugins":[{"type":"linked"}]}"#.write(to: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("10-b.conflist"), withDestinationURL: target)
        let configs = ConfigDirectory(path: directory.path)
        #expect(try configs.list(named: "b").mainPlugin.type == "linked")
        #expect(try configs.load().lists.map(\.name.rawValue) == ["b"])
        #expect(try configs.load().failures.map { $0.path.hasSuffix("01-broken.conflist") } == [true])
    }
}
