import Foundation
import Testing
import Addressing
@testable import Labs

struct LabStateTests {
    private func temporaryStore() -> LabStateStore {
        var template = Array("/tmp/labs-state-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        // A directory below the temporary one: the store creates what is missing.
        return LabStateStore(directory: "\(path)/labs")
    }

    @Test func stateRoundTripsAndAnEmptyStateRemovesTheFile() throws {
        let store = temporaryStore()
        defer { _ = try? FileManager.default.removeItem(atPath: String(store.directory.dropLast(5))) }
        let lab = LabName("pair")!
        #expect(try store.load(lab) == nil)
        #expect(try store.all().isEmpty)

        let state = LabState(lab: lab, file: "conf/labs/veth-pair.yaml", objects: [
            .namespace(NamespaceName("lab-a")!),
            .link(LinkEnd(name: .init("veth-a")!, namespace: NamespaceName("lab-a"))),
            .sysctl("net/ipv4/ip_forward", previous: "0", value: "1"),
            .masquerading,
        ])
        try store.save(state)
        #expect(try store.load(lab) == state)
        #expect(try store.all().map(\.lab) == [lab])
        #expect(try store.locked { try store.all().count } == 1)

        try store.save(LabState(lab: lab, file: state.file))
        #expect(try store.load(lab) == nil)
        #expect(!FileManager.default.fileExists(atPath: "\(store.directory)/pair.json"))
    }

    @Test func aDamagedStateFileIsReportedWithWhatToDo() throws {
        let store = temporaryStore()
        defer { _ = try? FileManager.default.removeItem(atPath: String(store.directory.dropLast(5))) }
        try store.save(LabState(lab: LabName("x")!, file: "f", objects: [.masquerading]))
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: "\(store.directory)/x.json"))
        #expect {
            try store.load(LabName("x")!)
        } throws: { error in
            "\(error)".contains("x.json") && "\(error)".contains("remove it once the lab's objects are gone")
        }
    }

    @Test func theStepsOfALabAreListedInTheOrderUpRunsThem() throws {
        let topology = try TopologyFile.parse(Array("""
            name: order
            masquerade: [10.213.2.0/24]
            sysctls: [{key: net.ipv4.ip_forward, value: 1}]
            routes: [{namespace: n1, to: default, via: 10.213.2.1}]
            veths: [{a: {name: v1, master: br0}, b: {name: eth0, namespace: n1, addresses: [10.213.2.2/24]}}]
            bridges: [{name: br0, addresses: [10.213.2.1/24]}]
            namespaces: [n1]
            """.utf8), file: "order.yaml")
        #expect(LabRunner().plan(topology) == [
            "namespace n1",
            "bridge br0 (host) 10.213.2.1/24",
            "veth v1 (host) <-> eth0 (n1) 10.213.2.2/24",
            "route default via 10.213.2.1 (n1)",
            "sysctl net/ipv4/ip_forward=1 (host)",
            "masquerade 10.213.2.0/24",
        ])
    }

    @Test func theJournalRecordsAnObjectBeforeItIsMadeAndMarksItMadeAfter() throws {
        let store = temporaryStore()
        defer { _ = try? FileManager.default.removeItem(atPath: String(store.directory.dropLast(5))) }
        let lab = LabName("wal")!
        let earlier = LabObject.namespace(NamespaceName("lab-a")!)
        try store.save(LabState(lab: lab, file: "wal.yaml", objects: [earlier]))
        let journal = LabJournal(try store.load(lab)!, store: store)

        let staging = LabRunner.stagingName()
        let link = LabObject.link(LinkEnd(name: InterfaceName("veth-a")!, namespace: NamespaceName("lab-a")), staging: staging)
        try journal.intend(link)
        // On disk before anything is made: what a process killed now leaves for `down`.
        let intended = try #require(try store.load(lab)).objects
        #expect(intended.count == 2 && intended[1].isIntended && intended[1].staging == staging.rawValue)
        #expect(intended[0] == earlier && !intended[0].isIntended)
        #expect(journal.contains(.link(LinkEnd(name: InterfaceName("veth-a")!, namespace: NamespaceName("lab-a")))))

        try journal.made(link)
        let made = try #require(try store.load(lab)).objects
        #expect(made.count == 2 && !made[1].isIntended && made[1].staging == staging.rawValue)

        let route = LabObject.route(RouteSpec(to: Subnet("10.213.9.0/24")!, dev: InterfaceName("veth-a")))
        try journal.intend(route)
        try journal.abandon(route)
        #expect(try store.load(lab)?.objects == made)

        try journal.intend(.masquerading)
        #expect(journal.thisRun.map(\.kind) == [.link, .masquerade])
        try journal.rollBack(leaving: [])
        #expect(try store.load(lab)?.objects == [earlier])
    }

    @Test func anIntendedObjectIsReadBackFromTheStateFile() throws {
        let store = temporaryStore()
        defer { _ = try? FileManager.default.removeItem(atPath: String(store.directory.dropLast(5))) }
        try store.save(LabState(lab: LabName("x")!, file: "x.yaml", objects: [.masquerading]))
        let text = #"{"lab":"x","file":"x.yaml","objects":[{"kind":"link","name":"br0","staging":"nclab0123456789","intended":true},{"kind":"masquerade"}]}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(store.directory)/x.json"))
        let state = try #require(try store.load(LabName("x")!))
        #expect(state.objects.map(\.isIntended) == [true, false])
        #expect(state.objects[0].isSame(as: .link(LinkEnd(name: InterfaceName("br0")!))))
        #expect(!state.objects[0].isSame(as: .link(LinkEnd(name: InterfaceName("br0")!, namespace: NamespaceName("n1")))))
    }

    @Test func stagingNamesAreKernelLinkNamesOfTheirOwn() {
        let names = (0..<64).map { _ in LabRunner.stagingName().rawValue }
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.hasPrefix("nclab") && $0.utf8.count == 15 })
    }
}
