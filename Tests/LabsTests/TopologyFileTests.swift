import Addressing
import Testing
@testable import Labs

struct TopologyFileTests {
    private func parse(_ text: String, file: String = "lab.yaml") throws(LabFileError) -> Topology {
        try TopologyFile.parse(Array(text.utf8), file: file)
    }

    private func refusal(_ text: String, file: String = "lab.yaml") -> LabFileError? {
        do {
            _ = try parse(text, file: file)
            return nil
        } catch {
            return error
        }
    }

    static let pairYAML = """
        # two namespaces and a veth pair
        name: pair
        namespaces: [lab-a, lab-b]
        veths:
          - a: {name: veth-a, namespace: lab-a, addresses: [10.213.1.1/24]}
            b:
              name: veth-b
              namespace: lab-b
              addresses:
                - 10.213.1.2/24
        routes:
          - namespace: lab-a
            to: default
            via: 10.213.1.2
        sysctls:
          - key: net.ipv4.ip_forward   # dots, as sysctl(8) writes them
            value: 1
            namespace: lab-b
        """

    @Test func yamlAndJSONDecodeToTheSameTopology() throws {
        let json = """
            {"name": "pair", "namespaces": ["lab-a", "lab-b"],
             "veths": [{"a": {"name": "veth-a", "namespace": "lab-a", "addresses": ["10.213.1.1/24"]},
                        "b": {"name": "veth-b", "namespace": "lab-b", "addresses": ["10.213.1.2/24"]}}],
             "routes": [{"namespace": "lab-a", "to": "default", "via": "10.213.1.2"}],
             "sysctls": [{"key": "net/ipv4/ip_forward", "value": "1", "namespace": "lab-b"}]}
            """
        let fromYAML = try parse(Self.pairYAML)
        #expect(fromYAML == (try parse(json, file: "lab.json")))
        #expect(fromYAML.veths.first?.b.addresses == [InterfaceAddress("10.213.1.2/24")!])
        #expect(fromYAML.routes.first?.to == Subnet.defaultRoute(.ipv4))
        #expect(fromYAML.sysctls.first?.key == "net/ipv4/ip_forward")
    }

    @Test func vxlanFieldsSitBesideTheLinkFields() throws {
        let topology = try parse("""
            name: vx
            namespaces: [h1]
            bridges: [{name: br0, namespace: h1}]
            vxlans:
              - {name: vx0, namespace: h1, vni: 42, remote: 10.213.3.2, local: 10.213.3.1, port: 4789, master: br0}
            """)
        let vxlan = try #require(topology.vxlans.first)
        #expect(vxlan.link.name.rawValue == "vx0" && vxlan.link.master?.rawValue == "br0")
        #expect(vxlan.vni == 42 && vxlan.port == 4789 && vxlan.remote == IPAddress("10.213.3.2"))
    }

    @Test func shippedLabsParse() throws {
        // The package root, from this file's path: Tests/LabsTests/<file>.
        let root = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))
        for file in ["veth-pair.yaml", "bridge-nat.yaml", "vxlan.yaml"] {
            let topology = try TopologyFile.load(path: "\(root)/conf/labs/\(file)")
            #expect(!topology.namespaces.isEmpty, "\(file)")
        }
    }

    @Test(arguments: [
        ("name: x\nveth: []\n", "veth", "did you mean \"veths\""),
        ("namespaces: [a]\n", "name", "missing"),
        ("name: Bad_Name\n", "name", "invalid lab name"),
        ("name: x\nnamespaces: [a]\nveths:\n  - a: {name: v1, namespace: a}\n    b: {name: v2, namespace: c}\n",
         "veths[0].b.namespace", "not among the lab's namespaces"),
        ("name: x\nbridges: [{name: br0, addresses: [10.0.0.300/24]}]\n", "bridges[0].addresses[0]", "10.0.0.300/24"),
        ("name: x\nbridges: [{name: this-name-is-too-long}]\n", "bridges[0].name", "longer than 15"),
        ("name: x\nveths:\n  - a: {name: v1, master: br9}\n    b: {name: v2}\n", "veths[0].a.master", "not a bridge"),
        ("name: x\nbridges: [{name: br0}, {name: br0}]\n", "bridges[1].name", "used twice"),
        ("name: x\nroutes: [{to: default}]\n", "routes[0].to", "needs \"via\""),
        ("name: x\nvxlans: [{name: vx0, vni: 16777216, remote: 10.0.0.1}]\n", "vxlans[0].vni", "24 bits"),
        ("name: x\nsysctls: [{key: net..ipv4, value: 1}]\n", "sysctls[0].key", "not a sysctl key"),
    ])
    func badFilesNameTheFileAndField(text: String, field: String, problem: String) throws {
        let error = try #require(refusal(text))
        #expect(error.file == "lab.yaml")
        #expect(error.field == field)
        #expect(error.description.contains(problem), "\(error)")
        #expect(error.description.hasPrefix("lab.yaml: \(field): "))
    }

    @Test(arguments: [
        ("name: x\n  extra: 1\n", "line 2"),
        ("name: \"open\n", "not closed"),
        ("name: x\nnamespaces: [a, b\n", "must close"),
        ("name: x\n\tnamespaces: []\n", "tabs"),
        ("name: &anchor x\n", "not supported"),
    ])
    func yamlSyntaxErrorsSayWhere(text: String, problem: String) throws {
        let error = try #require(refusal(text))
        #expect(error.field == nil)
        #expect(error.description.contains("invalid YAML"), "\(error)")
        #expect(error.description.contains(problem), "\(error)")
    }

    @Test func jsonSyntaxErrorsSayWhere() throws {
        let error = try #require(refusal("{\"name\": \"x\",}", file: "lab.json"))
        #expect(error.description.hasPrefix("lab.json: invalid JSON: line 1"), "\(error)")
    }

    @Test func missingFileIsNamed() {
        #expect(throws: LabFileError.self) { try TopologyFile.load(path: "/nonexistent/lab.yaml") }
    }

    @Test func plainScalarsAreTypedAsYAMLCoreSchema() throws {
        #expect(YAMLSubset.plain("42") == .number("42"))
        #expect(YAMLSubset.plain("10.0.0.1") == .string("10.0.0.1"))
        #expect(YAMLSubset.plain("true") == .bool(true))
        #expect(YAMLSubset.plain("~") == .null)
        #expect(try YAMLSubset.parse("a: 'it''s'\nb: \"x # y\" # comment\n")
                == .object(["a": .string("it's"), "b": .string("x # y")]))
    }
}
