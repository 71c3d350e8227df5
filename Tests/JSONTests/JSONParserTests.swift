import JSON
import Testing

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    private func syntaxError(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        #expect(try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "e": {}, "f": []} "#) == .object([
            "a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d")]),
            "e": .object([:]),
            "f": .array([]),
        ]))
        #expect(try parse("0") == .number("0"))
        #expect(try parse("\"\"") == .string(""))
    }

    @Test func decodesEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        // A surrogate pair is one scalar; an unpaired surrogate becomes U+FFFD, as in Go.
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""\ud83dx""#) == .string("\u{FFFD}x"))
        #expect(try parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
        #expect(try parse(#""\ude00""#) == .string("\u{FFFD}"))
    }

    @Test func keepsUTF8AndReplacesInvalidBytes() throws {
        #expect(try parse("\"grüße\"") == .string("grüße"))
        #expect(try JSONParser.parse([0x22, 0x61, 0xFF, 0x62, 0x22]) == .string("a\u{FFFD}b"))
    }

    @Test func lastOfRepeatedNamesCounts() throws {
        #expect(try parse(#"{"a": 1, "a": 2}"#) == .object(["a": .number("2")]))
    }

    @Test(arguments: [
        (#"{"cniVersion": tru}"#, "line 1, column 16: expected a value, found 't'"),
        (#"{"cniVersion" "1.0.0"}"#, "line 1, column 15: expected ':', found '\"'"),
        ("{\n  \"name\": \"unterminated}", "line 2, column 25: expected '\"' closing the string, found the end of the input"),
        (#"{"a": [1, 2}"#, "line 1, column 12: expected ',' or ']', found '}'"),
        (#"{} {}"#, "line 1, column 4: expected the end of the document, found '{'"),
        (#"{"a": 1,}"#, "line 1, column 9: expected a string key, found '}'"),
        (#"[1,]"#, "line 1, column 4: expected a value, found ']'"),
        (#"{1: 2}"#, "line 1, column 2: expected a string key, found '1'"),
        ("", "line 1, column 1: expected a value, found the end of the input"),
        ("01", "line 1, column 2: expected the end of the document, found '1'"),
        ("-", "line 1, column 2: expected a digit, found the end of the input"),
        ("1.", "line 1, column 3: expected a digit, found the end of the input"),
        ("1e+", "line 1, column 4: expected a digit, found the end of the input"),
        (#""a\x""#, "line 1, column 4: expected a valid escape character, found 'x'"),
        (#""\u12g4""#, #"line 1, column 6: expected four hex digits after \u, found 'g'"#),
        ("\"a\tb\"", "line 1, column 3: expected no control characters in a string, found '\t'"),
        ("nul", "line 1, column 1: expected a value, found 'n'"),
        ("// comment\n{}", "line 1, column 1: expected a value, found '/'"),
    ])
    func syntaxErrorsAreLocated(text: String, message: String) {
        #expect(syntaxError(text) == message)
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try parse(deep) }
        let tooDeep = "[" + deep + "]"
        #expect(syntaxError(tooDeep)?.hasSuffix("expected less nesting, found '['") == true)
    }

    @Test func writerSortsNamesAndEscapesOnlyWhatItMust() {
        let document = JSONValue.object([
            "z": .array([.number("1"), .null, .bool(false)]),
            "cniVersion": .string("1.1.0"),
            "path": .string("/var/run/netns/x \"q\" \\ \n\t\u{1}é"),
            "B": .object([:]),
        ])
        let text = String(decoding: JSONWriter.write(document), as: UTF8.self)
        #expect(text == #"{"B":{},"cniVersion":"1.1.0","path":"/var/run/netns/x \"q\" \\ \n\t\u0001é","z":[1,null,false]}"#)
    }

    @Test func writtenDocumentsParseBackUnchanged() throws {
        let text = #"{"a":[{"b":"\u0000\u001f\"\\/"},-0.5,1e300,[]],"c":{"d":null,"e":true},"😀":"\u00e9"}"#
        let value = try parse(text)
        #expect(try JSONParser.parse(JSONWriter.write(value)) == value)
    }
}
