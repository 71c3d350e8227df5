import Foundation
import Testing
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
}
