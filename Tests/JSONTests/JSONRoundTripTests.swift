import JSON
import Testing

/// Seeded, so a failure repeats; varied enough to reach every branch of the writer and the parser.
@Suite struct JSONRoundTripTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    private static let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "€", "😀", "{", "]", ","]

    private func randomValue(depth: Int, using rng: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number([String(Int64.random(in: .min ... .max, using: &rng)), "0", "-0.5", "1e-7", "2.5E+3"]
            .randomElement(using: &rng)!)
        case 3: return .string(randomString(using: &rng))
        case 4: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(depth: depth + 1, using: &rng) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                members[randomString(using: &rng)] = randomValue(depth: depth + 1, using: &rng)
            }
            return .object(members)
        }
    }

    private func randomString(using rng: inout SeededGenerator) -> String {
        String((0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.alphabet.randomElement(using: &rng)! })
    }

    @Test func randomDocumentsSurviveWritingAndParsing() throws {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<500 {
            let value = randomValue(depth: 0, using: &rng)
            #expect(try JSONParser.parse(JSONWriter.write(value)) == value)
        }
    }

    /// Every prefix, and every single-byte change, of a valid document either parses or is a located
    /// syntax error: never a crash, never an error without a place.
    @Test func damagedDocumentsFailCleanly() {
        let document = Array(#"{"cniVersion": "1.0.0", "ipam": {"ranges": [[{"subnet": "10.0.0.0/24"}]], "x": [1.5e3, true, null, "\u00e9\n"]}}"#.utf8)
        var rng = SeededGenerator(state: 7)
        var damaged = (0..<document.count).map { Array(document[..<$0]) }
        for _ in 0..<2000 {
            var copy = document
            copy[Int.random(in: 0..<copy.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            damaged.append(copy)
        }
        for bytes in damaged {
            do {
                _ = try JSONParser.parse(bytes)
            } catch {
                #expect(error.line >= 1 && error.column >= 1 && !error.expected.isEmpty)
            }
        }
    }
}
