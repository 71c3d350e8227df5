import FoundationEssentials
import JSON
import Testing

@Suite struct JSONCodecTests {
    struct Config: Codable, Equatable {
        enum Mode: String, Codable { case bridge, l2 }
        struct Range: Codable, Equatable {
            var subnet: String
            var gateway: String?
        }

        var name: String
        var mtu: Int?
        var mode: Mode
        var isGateway: Bool
        var ranges: [[Range]]
        var labels: [String: String]
        var weights: [Double]
        var port: UInt16
        var optional: String?
    }

    let sample = Config(name: "net/1 \"é\"", mtu: 1400, mode: .l2, isGateway: true,
                        ranges: [[.init(subnet: "10.0.0.0/24", gateway: "10.0.0.1")], [.init(subnet: "fd00::/64")]],
                        labels: ["b": "2", "a": "1"], weights: [0.5, -3, 1e-7], port: 8080, optional: nil)

    private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONCodec.decode(type, from: Array(text.utf8))
    }

    /// Whatever either encoder writes, the other decoder reads back as the same value.
    @Test func agreesWithFoundationEssentialsBothWays() throws {
        let ours = try JSONCodec.encode(sample)
        #expect(try JSONDecoder().decode(Config.self, from: Data(ours)) == sample)
        let theirs = try JSONEncoder().encode(sample)
        #expect(try JSONCodec.decode(Config.self, from: Array(theirs)) == sample)
    }

    @Test func encodesSortedAndCompact() throws {
        struct Document: Encodable {
            var version = "1.0.0"
            var list = [3, 1]
            var nested = ["y": true, "x": false]
            var absent: Int? = nil
            var path = "/run/netns/a"
        }
        let text = String(decoding: try JSONCodec.encode(Document()), as: UTF8.self)
        #expect(text == #"{"list":[3,1],"nested":{"x":false,"y":true},"path":"/run/netns/a","version":"1.0.0"}"#)
    }

    @Test func aTypeCanAddMembersToAnotherTypesObject() throws {
        struct Inner: Encodable {
            enum Keys: String, CodingKey { case a }
            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .a)
            }
        }
        struct Outer: Encodable {
            enum Keys: String, CodingKey { case b }
            func encode(to encoder: Encoder) throws {
                try Inner().encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(2, forKey: .b)
            }
        }
        #expect(String(decoding: try JSONCodec.encode(Outer()), as: UTF8.self) == #"{"a":1,"b":2}"#)
    }

    @Test func integersAreExact() throws {
        #expect(try decode(Int64.self, "9223372036854775807") == .max)
        #expect(try decode(Int64.self, "-9223372036854775808") == .min)
        #expect(try decode(UInt64.self, "18446744073709551615") == .max)
        #expect(try decode(Int.self, "1e3") == 1000)
        #expect(try decode(Int.self, "2.0") == 2)
        #expect(try decode([UInt8].self, "[0, 255]") == [0, 255])
    }

    @Test(arguments: ["256", "-1", "1.5", "1e400"])
    func numbersThatDoNotFitAreCorrupt(text: String) {
        #expect {
            try decode(UInt8.self, text)
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription == "number \(text) does not fit in UInt8"
        }
    }

    @Test func errorsCarryTheKeyPath() throws {
        func path(of error: any Error) -> String {
            let context: DecodingError.Context? = switch error as? DecodingError {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                 .dataCorrupted(let context): context
            default: nil
            }
            return context?.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() ?? "?"
        }
        let base = #""name": "n", "mode": "l2", "isGateway": false, "labels": {}, "weights": [], "port": 1"#
        do {
            _ = try decode(Config.self, "{\(base), \"ranges\": [[{\"subnet\": 5}]]}")
            Issue.record("decoded a number as a string")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(path(of: DecodingError.typeMismatch(String.self, context)) == ".ranges[0][0].subnet")
            #expect(context.debugDescription == "expected a string, found a number")
        }
        do {
            _ = try decode(Config.self, "{\(base), \"ranges\": [[{\"gateway\": \"x\"}]]}")
            Issue.record("decoded without a required key")
        } catch DecodingError.keyNotFound(let key, let context) {
            #expect(key.stringValue == "subnet")
            #expect(path(of: DecodingError.keyNotFound(key, context)) == ".ranges[0][0]")
        }
        do {
            _ = try decode(Config.self, "{\(base), \"ranges\": [], \"isGateway\": null}")
            Issue.record("decoded null as a boolean")
        } catch DecodingError.valueNotFound(_, let context) {
            #expect(path(of: DecodingError.valueNotFound(Bool.self, context)) == ".isGateway")
        }
    }

    @Test func nullAndMissingAreNilForOptionals() throws {
        struct Options: Decodable, Equatable { var a: Int?; var b: [String]? }
        #expect(try decode(Options.self, #"{"a": null}"#) == Options(a: nil, b: nil))
        #expect(try decode([Int?].self, "[1, null]") == [1, nil])
    }

    @Test func syntaxErrorsAreCorruptDataAtTheTopLevel() {
        do {
            _ = try decode([Int].self, "[1 2]")
            Issue.record("parsed invalid JSON")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.codingPath.isEmpty)
            #expect(context.underlyingError is JSONSyntaxError)
            #expect(context.debugDescription == "line 1, column 4: expected ',' or ']', found '2'")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nonFiniteNumbersAreNotEncoded() {
        #expect(throws: EncodingError.self) { try JSONCodec.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONCodec.encode(["x": Double.infinity]) }
    }
}
