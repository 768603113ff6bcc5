import Testing

@testable import DeeperAPI

@Suite("JSON scanner")
struct JSONScannerTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var bytes = Array(text.utf8)
        var result: Result<JSONValue, JSONSyntaxError>!
        bytes.withUnsafeMutableBytes { raw in
            result = Result { () throws(JSONSyntaxError) in try JSONScanner.parse(UnsafeRawBufferPointer(raw)) }
        }
        return try result.get()
    }

    @Test func numbersKeepTheirText() throws {
        #expect(try parse("24.90500") == .number("24.90500"))
        #expect(try parse(" -0.0001e-7 ") == .number("-0.0001e-7"))
        #expect(try parse("[1, 2.50, 1E+3]") == .array([.number("1"), .number("2.50"), .number("1E+3")]))
    }

    @Test func objectsStringsAndLiterals() throws {
        let value = try parse(#"{"a": "x\"y\\z\/\n\t\u00e9\ud83d\udcc8", "b": [true, false, null], "a": {}}"#)
        #expect(value["a"] == .object([]))  // the last of a repeated key
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.count == 3)
        #expect(members[0].value == .string("x\"y\\z/\n\té📈"))
        #expect(value["b"] == .array([.bool(true), .bool(false), .null]))
        #expect(try parse(#""ünïcødé""#) == .string("ünïcødé"))
    }

    static let malformed: [(text: String, line: Int, column: Int, reason: String)] = [
        ("", 1, 1, "unexpected end of input"),
        ("[1,]", 1, 4, "unexpected character ']'"),
        ("[1 2]", 1, 4, "expected ',' or ']'"),
        ("{\"a\" 1}", 1, 6, "expected ':' after a member name"),
        ("{a: 1}", 1, 2, "expected a member name in double quotes"),
        ("[01]", 1, 3, "expected ',' or ']'"),
        ("[1.]", 1, 4, "expected a digit after '.'"),
        ("[-]", 1, 3, "expected a digit"),
        ("[NaN]", 1, 2, "unexpected character 'N'"),
        ("[tru]", 1, 2, "unexpected character 't'"),
        ("\"abc", 1, 5, "unterminated string"),
        ("\"a\u{01}\"", 1, 3, "control character in a string (escape it)"),
        ("\"\\x\"", 1, 3, "invalid escape \\'x'"),
        ("\"\\ud83d\"", 1, 8, "unpaired surrogate in \\u escape"),
        ("[1]\n[2]", 2, 1, "unexpected text after the JSON value"),
        ("[\n  1,\n  }", 3, 3, "unexpected character '}'"),
    ]

    @Test(arguments: malformed)
    func malformedInputNamesLineColumnAndWhy(text: String, line: Int, column: Int, reason: String) {
        #expect(throws: JSONSyntaxError(line: line, column: column, reason: reason)) { try parse(text) }
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try parse(fine) }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        var bytes: [UInt8] = Array("\"ab".utf8) + [0xC3, 0x28] + Array("\"".utf8)
        let thrown = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(JSONSyntaxError) in try JSONScanner.parse(UnsafeRawBufferPointer(raw)) }
        }
        guard case .failure(let error) = thrown else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(error.reason == "string is not valid UTF-8")
    }

    @Test func arrayElementsAreHandedOverInOrderWithTheirPositions() throws {
        var seen: [(Int, JSONValue)] = []
        var bytes = Array(#" [ {"a": 1}, "two" , 3 ] "#.utf8)
        try bytes.withUnsafeMutableBytes { raw in
            try JSONScanner.forEachElement(ofArray: UnsafeRawBufferPointer(raw)) { seen.append(($0, $1)) }
        }
        #expect(seen.map(\.0) == [1, 2, 3])
        #expect(seen.map(\.1) == [.object([("a", .number("1"))]), .string("two"), .number("3")])
    }
}
