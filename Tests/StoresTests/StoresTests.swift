import Foundation
import JSON
import KV
import KVEtcd
import KVSQLite
import Stores
import Testing

@Suite struct StoreConfigurationDecoding {
    private func decode(_ json: String) throws -> StoreConfiguration {
        try JSONCodec.decode(StoreConfiguration.self, from: Array(json.utf8))
    }

    @Test func theLocalStoreIsInDataDir() throws {
        #expect(try decode(#"{"dataDir": "/srv/cni"}"#) == .local(dataDir: "/srv/cni"))
    }

    @Test func dataDirDefaults() throws {
        #expect(try decode(#"{"subnet": "10.250.1.0/24"}"#) == .local(dataDir: StoreConfiguration.defaultDataDir))
        #expect(try decode(#"{"dataDir": null}"#) == .local(dataDir: "/var/lib/swift-cni"))
    }

    @Test(arguments: ["relative", "/var/lib/../../etc", "", "/a/..", "/../a", "a/b",
                      "/var/lib/../\u{301}x"])
    func dataDirMustBeAbsoluteWithoutDotDot(dataDir: String) {
        #expect(throws: StoreConfigurationError("dataDir \"\(dataDir)\" must be an absolute path without \"..\"")) {
            try StoreConfiguration.local(validating: dataDir)
        }
    }

    @Test(arguments: ["/", "/var/lib/swift-cni", "/a/.../b", "/a/..b/.c", "//double//slashes/", "/./here",
                      "/\u{301}../x"])
    func plainAbsoluteDataDirsAreTaken(dataDir: String) throws {
        #expect(try StoreConfiguration.local(validating: dataDir) == .local(dataDir: dataDir))
    }

    @Test func aDataDirOfTheWrongTypeIsADecodingError() {
        #expect(throws: DecodingError.self) { try decode(#"{"dataDir": 5}"#) }
    }
}

@Suite struct OpeningStores {
    /// Runs `body` with a fresh directory that is removed afterwards, whatever happens.
    private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.path + "/storestests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test func theLocalStoreIsOneFileInDataDir() throws {
        try withTemporaryDirectory { directory throws in
            let dataDir = directory + "/state"
            let store = try openStore(.local(dataDir: dataDir))
            #expect((store as? SQLiteStore)?.path == dataDir + "/store.db")
            try store.put("a", "1")
            #expect(try openStore(.local(dataDir: dataDir)).get("a")?.string == "1")
            let files = try FileManager.default.contentsOfDirectory(atPath: dataDir)
            #expect(files.filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") } == ["store.db"])
        }
    }

    @Test func openingAnExistingStoreCreatesNothing() throws {
        try withTemporaryDirectory { directory throws in
            let dataDir = directory + "/state"
            #expect(try openExistingStore(.local(dataDir: dataDir)) == nil)
            #expect(!FileManager.default.fileExists(atPath: dataDir))

            try openStore(.local(dataDir: dataDir)).put("a", "1")
            #expect(try openExistingStore(.local(dataDir: dataDir))?.get("a")?.string == "1")
        }
    }

    @Test func aCorruptStoreIsReportedNotReplaced() throws {
        try withTemporaryDirectory { directory throws in
            let garbage = Data("not a store\n".utf8)
            #expect(FileManager.default.createFile(atPath: directory + "/store.db", contents: garbage))
            #expect(throws: KVError.self) { try openExistingStore(.local(dataDir: directory)) }
            #expect(FileManager.default.contents(atPath: directory + "/store.db") == garbage)
        }
    }
}

@Suite struct EtcdStoreConfigurationDecoding {
    private func decode(_ json: String) throws -> StoreConfiguration {
        try JSONCodec.decode(StoreConfiguration.self, from: Array(json.utf8))
    }

    @Test func anEtcdStoreTakesItsSettings() throws {
        let configuration = try decode(#"""
            {"dataDir": "/srv/cni", "store": {"type": "etcd", "endpoints": ["http://10.0.0.1:2379", "10.0.0.2:2379"],
             "prefix": "/cni/", "hostID": "node-1", "username": "cni", "passwordFile": "/etc/swift-cni/etcd.pw", "timeout": 0.5}}
            """#)
        guard case let .etcd(settings, dataDir) = configuration else { Issue.record("\(configuration)"); return }
        #expect(dataDir == "/srv/cni")
        #expect(settings.endpoints.map(\.description) == ["http://10.0.0.1:2379", "http://10.0.0.2:2379"])
        #expect(settings.prefix == "/cni/")
        #expect(settings.hostID == "node-1")
        #expect(settings.username == "cni")
        #expect(settings.password == .file("/etc/swift-cni/etcd.pw"))
        #expect(settings.timeout == .milliseconds(500))
    }

    @Test func tlsFilesGoWithHTTPSEndpoints() throws {
        let json = #"{"store": {"type": "etcd", "endpoints": ["https://10.0.0.1:2379"], "caFile": "/etc/ca.pem", "#
            + #""certFile": "/etc/client.pem", "keyFile": "/etc/client-key.pem"}}"#
        guard case let .etcd(settings, _) = try decode(json) else {
            Issue.record("not etcd"); return
        }
        #expect(settings.endpoints.map(\.description) == ["https://10.0.0.1:2379"])
        #expect(settings.tls == EtcdTLSFiles(caFile: "/etc/ca.pem", certFile: "/etc/client.pem", keyFile: "/etc/client-key.pem"))
    }

    @Test func defaultsAreThePrefixAndTwoSeconds() throws {
        guard case let .etcd(settings, _) = try decode(#"{"store": {"type": "etcd", "endpoints": ["127.0.0.1:2379"]}}"#) else {
            Issue.record("not etcd"); return
        }
        #expect(settings.prefix == "/swift-cni/")
        #expect(settings.timeout == .seconds(2))
        #expect(settings.hostID == nil)
    }

    @Test(arguments: [
        (#"{"type": "etcd", "endpoints": []}"#, "at least one"),
        (#"{"type": "etcd", "endpoints": ["nohost"]}"#, "nohost"),
        (#"{"type": "etcd", "endpoints": ["a:1"], "password": "x"}"#, "username"),
        (#"{"type": "etcd", "endpoints": ["a:1"], "username": "u", "password": "x", "passwordFile": "/p"}"#, "not both"),
        (#"{"type": "etcd", "endpoints": ["a:1"], "timeout": 0}"#, "timeout"),
        (#"{"type": "etcd", "endpoints": ["http://a:1"], "caFile": "/etc/ca.pem"}"#, "http://a:1 is not https://"),
        (#"{"type": "etcd", "endpoints": ["https://a:1"], "certFile": "/etc/c.pem"}"#, "needs \"keyFile\""),
        (#"{"type": "etcd", "endpoints": ["https://a:1"], "keyFile": "/etc/k.pem"}"#, "needs \"certFile\""),
        (#"{"type": "etcd", "endpoints": ["https://a:1"], "caFile": "ca.pem"}"#, "absolute"),
        (#"{"type": "consul"}"#, "consul"),
    ])
    func badSettingsSayWhatIsWrong(store: String, named: String) {
        #expect {
            try decode(#"{"store": \#(store)}"#)
        } throws: { error in
            (error as? StoreConfigurationError)?.description.contains(named) == true
        }
    }
}
