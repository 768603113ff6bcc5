import DeeperData
import Foundation
import Testing

@Suite struct JSONWriterTests {
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
