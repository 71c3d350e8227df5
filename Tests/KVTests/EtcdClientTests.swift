import Foundation
import KV
import KVEtcd
import Testing

/// What only the etcd backend has: endpoints, deadlines, credentials, reconnection.
@Suite(.enabled(if: EtcdServer.isAvailable)) struct EtcdClientTests {
    @Test func aDeadEndpointFailsOverToALiveOne() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let store = try EtcdStore(EtcdClientConfiguration(
            endpoints: [EtcdEndpoint("http://127.0.0.1:1"), EtcdEndpoint(server.endpoint)], timeout: .seconds(2)))
        #expect(try store.put("a", "1") == 1)
        #expect(try store.get("a")?.string == "1")
    }

    @Test func noEndpointAnsweringIsUnavailableWithinTheTimeoutNamingThem() throws {
        let store = try EtcdStore(EtcdClientConfiguration(
            endpoints: [EtcdEndpoint("http://127.0.0.1:1"), EtcdEndpoint("127.0.0.1:2")], timeout: .milliseconds(300)))
        let clock = ContinuousClock()
        var failure: KVError?
        let elapsed = clock.measure {
            do { _ = try store.get("a") } catch { failure = error as? KVError }
        }
        guard case .unavailable(let detail)? = failure else { Issue.record("got \(String(describing: failure))"); return }
        #expect(detail.contains("127.0.0.1:1") && detail.contains("127.0.0.1:2"))
        #expect(elapsed < .seconds(1))
    }

    @Test func aStoppedServerTimesOutInsteadOfHanging() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let store = try server.store(timeout: .milliseconds(300))
        try store.put("a", "1")
        kill(server.pid, SIGSTOP)
        defer { kill(server.pid, SIGCONT) }
        let clock = ContinuousClock()
        // A put sent ahead over the kept-alive connection, then one made whole.
        let written = try store.sendPut("b", Array("1".utf8))
        #expect(clock.measure { #expect(throws: KVError.self) { try written.wait() } } < .seconds(1))
        #expect(clock.measure { #expect(throws: KVError.self) { try store.put("b", "1") } } < .seconds(1))
    }

    @Test func theNamespaceKeepsKeysApart() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let configuration = EtcdClientConfiguration(endpoints: [try EtcdEndpoint(server.endpoint)])
        let one = try EtcdStore(configuration, namespace: "/one/")
        let two = try EtcdStore(configuration, namespace: "/two/")
        try one.put("k", "1")
        try two.put("k", "2")
        #expect(try one.range(prefix: "").kvs.map(\.string) == ["1"])
        #expect(try two.get("k")?.string == "2")
        #expect(try one.delete(prefix: "") == 1)
        #expect(try two.get("k")?.string == "2")
    }

    @Test func credentialsAreUsedAndWrongOnesAreRefused() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        try server.enableAuthentication(rootPassword: "s3cret")
        let endpoint = try EtcdEndpoint(server.endpoint)
        let store = try EtcdStore(EtcdClientConfiguration(endpoints: [endpoint], username: "root", password: "s3cret"))
        #expect(try store.put("a", "1") == 1)
        let wrong = try EtcdStore(EtcdClientConfiguration(endpoints: [endpoint], username: "root", password: "wrong"))
        #expect {
            try wrong.get("a")
        } throws: { error in
            guard case .refused(let detail)? = error as? KVError else { return false }
            return detail.contains("root") && detail.contains(server.endpoint)
        }
        let anonymous = try EtcdStore(EtcdClientConfiguration(endpoints: [endpoint]))
        #expect(throws: KVError.self) { try anonymous.get("a") }
    }

    @Test func aSentPutIsAnsweredByItsWaitWhileTheStoreServesOthers() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let store = try server.store()
        try store.put("a", "0")
        let written = try store.sendPut("a", Array("1".utf8))
        // Meanwhile the store answers on another connection.
        try store.put("b", "1")
        #expect(try store.get("b")?.string == "1")
        // Either write may commit first: they went over two connections.
        let revision = try written.wait()
        #expect(revision == 2 || revision == 3)
        #expect(try written.wait() == revision)
        #expect(try store.get("a")?.string == "1")
        // The connection the put went over is kept for what follows.
        #expect(try store.sendPut("c", Array("1".utf8)).wait() == 4)
    }

    @Test func aPutSentOverAConnectionTheServerClosedIsSentAgain() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let store = try server.store()
        try store.put("a", "0")
        try server.restart()
        let written = try store.sendPut("a", Array("1".utf8))
        #expect(try written.wait() == 2)
        #expect(try store.get("a")?.string == "1")
    }

    @Test func aSentPutCarriesTheCredentials() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        try server.enableAuthentication(rootPassword: "s3cret")
        let store = try EtcdStore(EtcdClientConfiguration(endpoints: [try EtcdEndpoint(server.endpoint)],
                                                          username: "root", password: "s3cret"))
        try store.put("a", "0")
        #expect(try store.sendPut("a", Array("1".utf8)).wait() == 2)
        #expect(try store.get("a")?.string == "1")
    }

    /// A watch on `w/` that has delivered revision 1, then the server restarted under it; returns
    /// the watch and a store connected afresh.
    private func watchAcrossARestart(of server: EtcdServer) throws -> (any KeyValueWatch, EtcdStore) {
        let store = try server.store()
        try store.put("w/1", "1")
        let watch = try store.watch(prefix: "w/", afterRevision: 0)
        #expect(try watch.next(timeout: .seconds(5)).map(\.revision) == [1])
        try server.restart()
        return (watch, try server.store())
    }

    @Test func aWatchSurvivesARestartOfTheServer() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let (watch, writer) = try watchAcrossARestart(of: server)
        try writer.put("w/2", "2")
        var events: [WatchEvent] = []
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while events.isEmpty && ContinuousClock.now < deadline {
            events = try watch.next(timeout: .seconds(2))
        }
        #expect(events.map(\.key) == ["w/2"])
    }

    @Test func aWatchResumingAfterARestartAcrossACompactionSaysSo() throws {
        let server = try EtcdServer()
        defer { server.stop() }
        let (watch, writer) = try watchAcrossARestart(of: server)
        for index in 2...5 { try writer.put("w/\(index)", "v") }
        // Through the gateway, with curl: history before protocol revision 5 (etcd's 6) goes.
        try server.compact(etcdRevision: 6)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        var thrown: (any Error)?
        while thrown == nil && ContinuousClock.now < deadline {
            do {
                let events = try watch.next(timeout: .seconds(2))
                #expect(events.isEmpty, "events after a compaction the watch missed: \(events)")
            } catch {
                thrown = error
            }
        }
        #expect(thrown as? KVError == .compacted(requested: 1, oldestAvailable: 5))
    }
}

/// TLS settings that cannot work are refused when the store is opened, naming the file.
@Suite struct EtcdTLSSettingsTests {
    @Test func anUnreadableCAFileIsRefusedNamingIt() throws {
        #expect {
            try EtcdStore(EtcdClientConfiguration(endpoints: [EtcdEndpoint("https://127.0.0.1:1")],
                                                  tls: EtcdTLSFiles(caFile: "/nonexistent/ca.pem")))
        } throws: { error in
            guard case .refused(let detail)? = error as? KVError else { return false }
            return detail.contains("caFile /nonexistent/ca.pem") && detail.contains("No such file")
        }
    }

    @Test func aCAFileWithoutACertificateIsRefusedNamingIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(getpid()).pem").path
        try "not a certificate\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        #expect {
            try EtcdStore(EtcdClientConfiguration(endpoints: [EtcdEndpoint("https://127.0.0.1:1")], tls: EtcdTLSFiles(caFile: path)))
        } throws: { error in
            guard case .refused(let detail)? = error as? KVError else { return false }
            return detail.contains(path) && detail.contains("no PEM certificate")
        }
    }

    @Test func plainEndpointsNeverLoadTLS() throws {
        // The files are not read at all without an https:// endpoint.
        _ = try EtcdStore(EtcdClientConfiguration(endpoints: [EtcdEndpoint("http://127.0.0.1:1")],
                                                  tls: EtcdTLSFiles(caFile: "/nonexistent/ca.pem")))
    }
}
