/// A non-negative decimal held exactly as `mantissa × 10^-scale`.
///
/// Used where SPEC asks for exact arithmetic on decimals that are not prices (`avg_adv`,
/// SPEC §1.2; `extreme_multiplier`, SPEC §7).
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    /// The digits as an integer: `12345` for `123.45`.
    public var mantissa: Int64
    /// How many of the digits are decimals: `2` for `123.45` (0…18).
    public var scale: Int

    /// `mantissa × 10^-scale`.
    ///
    /// - Precondition: `scale` is in 0…18.
    public init(mantissa: Int64, scale: Int) {
        precondition(scale >= 0 && scale <= 18, "scale out of range")
        self.mantissa = mantissa
        self.scale = scale
    }

    /// Parses `123`, `123.45`, `0.5` (no sign, no exponent). At most 18 digits.
    public init?(_ text: some StringProtocol) {
        var mantissa: Int64 = 0
        var scale = 0
        var digits = 0
        var seenDot = false
        for ch in text.utf8 {
            if ch == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
                continue
            }
            guard ch >= 48 && ch <= 57 else { return nil }
            digits += 1
            if digits > 18 { return nil }
            mantissa = mantissa * 10 + Int64(ch - 48)
            if seenDot { scale += 1 }
        }
        if digits == 0 { return nil }
        self.init(mantissa: mantissa, scale: scale)
    }

    /// The nearest double, for reporting (`avg_adv` in the output).
    public var doubleValue: Double { Double(mantissa) / Self.powerOfTen(scale) }

    /// `floor(self × other)`, exact, clamped to `Int64.max`.
    public func flooredProduct(with other: ExactDecimal) -> Int64 {
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: other.mantissa)
        let places = scale + other.scale
        // The common case stays in Int64; Int128 (generic and slow) only for huge operands.
        if !overflow && places <= 18 { return product / Self.int64PowerOfTen(places) }
        return Self.flooredProductWide(mantissa, other.mantissa, places)
    }

    /// `self × other` as a double, for reporting.
    public func productDouble(with other: ExactDecimal) -> Double {
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: other.mantissa)
        let places = scale + other.scale
        if !overflow { return Double(product) / Self.powerOfTen(places) }
        return Double(Int128(mantissa) * Int128(other.mantissa)) / Self.powerOfTen(places)
    }

    @inline(never)
    private static func flooredProductWide(_ a: Int64, _ b: Int64, _ places: Int) -> Int64 {
        var divisor: Int128 = 1
        for _ in 0..<places { divisor *= 10 }
        let quotient = Int128(a) * Int128(b) / divisor
        return quotient > Int128(Int64.max) ? Int64.max : Int64(quotient)
    }

    private static func int64PowerOfTen(_ n: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }

    /// The shortest exact decimal text: `123.45`, `2`, `0.5`.
    public var description: String {
        if scale == 0 { return String(mantissa) }
        var digits = String(mantissa)
        while digits.count <= scale { digits = "0" + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -scale)
        var text = digits[..<cut] + "." + digits[cut...]
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return String(text)
    }

    private static func powerOfTen(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return p
    }
}
