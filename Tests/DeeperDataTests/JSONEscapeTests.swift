import DeeperData
import Testing

@Suite struct JSONEscapeTests {
    static func unescape(_ body: String) -> Result<String, JSONEscape.Failure> {
        var text = body
        return text.withUTF8 { raw in
            Result { () throws(JSONEscape.Failure) in
                String(decoding: try JSONEscape.unescape(UnsafeRawBufferPointer(raw)), as: UTF8.self)
            }
        }
    }

    @Test func everyEscapeResolves() throws {
        #expect(try Self.unescape(#"x\"y\\z\/\b\f\n\r\t"#).get() == "x\"y\\z/\u{08}\u{0C}\n\r\t")
        #expect(try Self.unescape(#"\u00e9\u20AC \ud83d\udcc8!"#).get() == "é€ 📈!")
        #expect(try Self.unescape("plain ünïcødé").get() == "plain ünïcødé")
        #expect(try Self.unescape("").get() == "")
    }

    /// What `JSONWriter` escapes reads back as the string it was: quotes, backslashes, every
    /// control character, multi-byte and astral characters.
    @Test func readsBackWhatTheWriterEscaped() throws {
        var strings = ["", "AHL PRF", "a\"b\\c/d", "ü€𝄞📈", String((0..<32).map { Character(Unicode.Scalar($0)!) })]
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("ab\"\\/\n\t\r\u{01}\u{1F}é€𝄞 ")
        for _ in 0..<500 { strings.append(String((0..<Int.random(in: 0...24, using: &g)).map { _ in alphabet.randomElement(using: &g)! })) }
        for s in strings {
            var w = JSONWriter()
            w.string(s)
            let quoted = w.text
            #expect(try Self.unescape(String(quoted.dropFirst().dropLast())).get() == s, "\(quoted)")
        }
    }

    /// Each malformed escape names why, and the offset a reader reports it at.
    @Test(arguments: [
        (#"\"#, 1, "unterminated string"),
        (#"ab\x"#, 3, "invalid escape \\'x'"),
        (#"\u12"#, 2, "unterminated \\u escape"),
        (#"\u12g4"#, 4, "invalid hex digit in \\u escape"),
        (#"\ud83d"#, 6, "unpaired surrogate in \\u escape"),
        (#"\ud83dx"#, 6, "unpaired surrogate in \\u escape"),
        (#"\ud83d\n"#, 7, "unpaired surrogate in \\u escape"),
        (#"\ud83d\u0041"#, 12, "unpaired surrogate in \\u escape"),
        (#"\udc00"#, 6, "unpaired surrogate in \\u escape"),
    ])
    func malformedEscapesSayWhereAndWhy(body: String, offset: Int, reason: String) {
        #expect(Self.unescape(body) == .failure(JSONEscape.Failure(offset: offset, reason: reason)))
    }
}
