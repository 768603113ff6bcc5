import DeeperData
import DeeperKernels
import Foundation
import Testing

@Suite struct JSONWriterTests {
    /// The instant writer gives `Nanos.iso8601`'s text byte for byte: whole seconds, every
    /// fraction width, day and year boundaries, before the epoch, both ends of Int64 (less a day
    /// at the bottom, where `Nanos.iso8601` itself overflows).
    @Test func instantsMatchNanosISO8601() {
        var instants: [Int64] = [
            0, 1, -1, 999_999_999, 1_000_000_000, 1_763_765_958_006_000_000, 1_763_765_958_000_000_000,
            1_741_788_000_123_456_789, 86_400_000_000_000 - 1, -86_400_000_000_000, Int64.max, Int64.min + Nanos.perDay,
            -9_000_000_000_000_000_000, 951_782_400_000_000_000 /* 2000-02-29 */, 4_107_542_399_999_999_999,
        ]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { instants.append(Int64.random(in: (Int64.min + Nanos.perDay)...Int64.max, using: &g)) }
        for _ in 0..<2_000 { instants.append(Int64.random(in: 0...4_102_444_800_000_000_000, using: &g) / 1_000_000 * 1_000_000) }
        for t in instants {
            var w = JSONWriter()
            w.instant(t)
            #expect(w.text == "\"" + Nanos.iso8601(t) + "\"", "t = \(t)")
        }
        var w = JSONWriter()
        w.instant(nil)
        #expect(w.text == "null")
    }

    @Test(arguments: [
        (Int64(249_100), "24.91"), (250_000, "25.0"), (-183, "-0.0183"), (999_999_999, "99999.9999"),
        (1, "0.0001"), (0, "0.0"), (100_500, "10.05"),
    ])
    func pricesAreExactDecimals(ticks: Int64, text: String) {
        #expect(PriceFormat.decimal(ticks) == text)
    }

    @Test func centsAndThousandths() {
        #expect(PriceFormat.cents(252_000) == "25.20")
        #expect(PriceFormat.cents(249_125) == "24.9125")
        #expect(PriceFormat.cents(250_050) == "25.005")
        #expect(PriceFormat.thousandths(400) == "0.4")
        #expect(PriceFormat.thousandths(1000) == "1.0")
    }

    /// The digit writer against `String(v)` left-padded with zeros, across magnitudes and widths
    /// (including widths beyond the 20 digits of `UInt64.max`).
    @Test func digitsEqualTheStandardLibrarysPadded() {
        var values: [UInt64] = [0, 1, 9, 10, 99, 100, 12_345, 999_999_999, UInt64(Int64.max), .max]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            values.append(x >> (x % 64))
        }
        for v in values {
            for width in [0, 1, 2, 4, 7, 20, 23] {
                var out: [UInt8] = [UInt8(ascii: "x")]  // something before: only appended to
                PriceFormat.appendDigits(v, minimumWidth: width, to: &out)
                let digits = String(v)
                let expected = "x" + String(repeating: "0", count: max(0, width - digits.count)) + digits
                #expect(String(decoding: out, as: UTF8.self) == expected, "\(v) width \(width)")
            }
        }
    }

    /// Doubles are written in `description`'s shortest round-trip form (through a byte sink, not
    /// a String), whole numbers below 1e15 as `N.0`, and read back to the same value.
    @Test func doublesMatchTheirDescriptionAndRoundTrip() throws {
        var values: [Double] = [0.1, -0.1, 1e-7, 123_456.789, 1e15, 1e16, -2.5e-300, 5e-324, .pi, 0.0, -3.0, 1e14 + 0.5]
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<500 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let v = Double(bitPattern: x)
            if v.isFinite { values.append(v) }
            values.append(Double(x % 1_000_000_007) / Double(x % 997 + 1))  // ordinary ratios
        }
        for v in values {
            var w = JSONWriter()
            w.double(v)
            let whole = v == v.rounded() && abs(v) < 1e15
            #expect(w.text == (whole ? "\(Int64(v)).0" : v.description), "\(v)")
            #expect(Double(w.text) == v, "\(w.text)")
        }
    }

    /// Keys and strings with nothing to escape take the one-copy path; the rest byte by byte.
    @Test func plainAndEscapedStringsMix() {
        var w = JSONWriter()
        w.beginArray()
        for s in ["AHL PRF", "", "a\"b", "ü€𝄞", "tab\tend", "plain again"] { w.string(s) }
        w.endArray()
        #expect(w.text == #"["AHL PRF","","a\"b","ü€𝄞","tab\tend","plain again"]"#)
    }

    @Test func documentsAreValidJSONInKeyOrder() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("a", 25.0)
        w.field("b", 0.1)
        w.field("c", Optional<Double>.none)
        w.field("d", price: 249_125)
        w.field("e", "quote \" backslash \\ newline \n tab \t bell \u{7} é")
        w.key("f")
        w.beginArray()
        w.int(-42)
        w.bool(true)
        w.null()
        w.endArray()
        w.key("AHL PRF")
        w.beginObject()
        w.endObject()
        w.endObject()
        #expect(w.text.hasPrefix(#"{"a":25.0,"b":0.1,"c":null,"d":24.9125,"e":"quote \" backslash \\ newline \n tab \t bell \u0007 é","f":[-42,true,null],"AHL PRF":{}}"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(parsed["e"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7} é")
        #expect((parsed["d"] as? NSNumber)?.doubleValue == 24.9125)
    }
}
