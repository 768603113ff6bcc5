import DeeperKernels
import Testing

@Suite struct ExactDecimalTests {
    @Test func parsesAndPrints() throws {
        let d = try #require(ExactDecimal("14000.50"))
        #expect(d.mantissa == 1_400_050 && d.scale == 2)
        #expect(d.description == "14000.5")
        #expect(ExactDecimal("1.2.3") == nil)
        #expect(ExactDecimal("-5") == nil)
        #expect(ExactDecimal("") == nil)
        #expect(ExactDecimal("1234567890123456789") == nil)  // 19 digits
    }

    /// The Int64 fast path and the Int128 path agree, including at the switch-over.
    @Test func flooredProductIsExactOnBothPaths() {
        let cases: [(ExactDecimal, ExactDecimal, Int64)] = [
            (ExactDecimal(mantissa: 10005, scale: 1), ExactDecimal(mantissa: 1, scale: 0), 1000),  // 1000.5 → 1000
            (ExactDecimal(mantissa: 3, scale: 0), ExactDecimal(mantissa: 333_334, scale: 6), 1),  // 1.000002
            (ExactDecimal(mantissa: 999_999_999_999_999_999, scale: 0), ExactDecimal(mantissa: 2, scale: 0), 1_999_999_999_999_999_998),
            (ExactDecimal(mantissa: 999_999_999_999_999_999, scale: 0), ExactDecimal(mantissa: 10, scale: 0), Int64.max),
            (ExactDecimal(mantissa: 999_999_999_999_999_999, scale: 9), ExactDecimal(mantissa: 1_000_000, scale: 6), 999_999_999),
            (ExactDecimal(mantissa: 123_456_789_012, scale: 12), ExactDecimal(mantissa: 1_000_000_007, scale: 9), 0),
        ]
        for (a, b, expected) in cases {
            #expect(a.flooredProduct(with: b) == expected, "\(a) × \(b)")
        }
        #expect(ExactDecimal(mantissa: 999_999_999_999_999_999, scale: 9).productDouble(
            with: ExactDecimal(mantissa: 1_000_000, scale: 6)) == 999_999_999.999999999)
    }
}
