import DeeperKernels

/// Why one field's text is not a legal value (SPEC §1.1).
enum _CSVFieldProblem: Error, Equatable {
    case empty
    // symbol
    case symbolTooLong
    case symbolLowercase
    case symbolBadCharacter
    case symbolBadFirstCharacter
    // time
    case timeSyntax
    case timeFractionTooLong
    case timeNoSuchDate
    case timeHourRange
    case timeMinuteRange
    case timeSecondRange
    case timeOffsetRange
    case timeOutOfRange
    case epochOutOfRange
    // price
    case priceSyntax
    case priceTooManyDecimals
    case priceZero
    case priceTooLarge
    // size
    case sizeSyntax
    case sizeZero
    case sizeTooLarge
    // decimals that are not prices (avg_adv)
    case decimalSyntax
    case decimalTooManyDigits
    case decimalZero
    // free text
    case invalidUTF8

    var reason: String {
        switch self {
        case .empty: "empty"
        case .symbolTooLong: "symbol longer than 16 characters"
        case .symbolLowercase: "lower-case letter in symbol (symbols are upper-case A-Z)"
        case .symbolBadCharacter: "invalid character in symbol (allowed: A-Z 0-9 space . - /)"
        case .symbolBadFirstCharacter: "symbol must start with a letter or digit"
        case .timeSyntax:
            "not an ISO-8601 time (YYYY-MM-DDTHH:MM:SS[.f] with Z or +HH:MM) or epoch milliseconds"
        case .timeFractionTooLong: "more than 9 fraction digits"
        case .timeNoSuchDate: "no such date"
        case .timeHourRange: "hour out of range"
        case .timeMinuteRange: "minute out of range"
        case .timeSecondRange: "second out of range"
        case .timeOffsetRange: "UTC offset out of range"
        case .timeOutOfRange: "time outside what Int64 nanoseconds hold (1677-09-21 to 2262-04-11)"
        case .epochOutOfRange: "epoch milliseconds too large"
        case .priceSyntax: "not a decimal number"
        case .priceTooManyDecimals: "more than 4 decimal places"
        case .priceZero: "price must be greater than 0"
        case .priceTooLarge: "price greater than 99999.9999"
        case .sizeSyntax: "not a whole number of shares"
        case .sizeZero: "size must be at least 1"
        case .sizeTooLarge: "size greater than 2147483647"
        case .decimalSyntax: "not a decimal number"
        case .decimalTooManyDigits: "more than 18 digits"
        case .decimalZero: "must be greater than 0"
        case .invalidUTF8: "not valid UTF-8"
        }
    }
}

/// Parsers for single field values. Each takes the field's trimmed, unquoted bytes.
///
/// Digit and letter tests are written `c &- 0x30 < 10`: the wrapping subtraction sends bytes
/// below the range to large values, so one unsigned compare tests the whole range.
enum _CSVFieldParsers {
    // MARK: - Symbol

    /// Checks a symbol: 1–16 bytes of `A–Z 0–9 space . - /`, the first a letter or digit.
    static func validateSymbol(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) {
        if b.isEmpty { throw .empty }
        if b.count > 16 { throw .symbolTooLong }
        for c in b where !isSymbolByte(c) {
            throw c &- 0x61 < 26 ? .symbolLowercase : .symbolBadCharacter
        }
        let first = b[0]
        if !(first &- 0x41 < 26 || first &- 0x30 < 10) { throw .symbolBadFirstCharacter }
    }

    @inline(__always)
    static func isSymbolByte(_ c: UInt8) -> Bool {
        c &- 0x41 < 26 || c &- 0x30 < 10 || c == 0x20 || c == 0x2E || c == 0x2D || c == 0x2F
    }

    // MARK: - Time

    /// The largest epoch in milliseconds whose nanoseconds fit in `Int64`.
    static let maxEpochMilliseconds = Int64.max / Nanos.perMillisecond

    /// Parses an instant to nanoseconds since the Unix epoch, exactly.
    ///
    /// Either `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` (upper-case `T` and `Z`, seconds 00–59)
    /// or a non-negative integer count of milliseconds since the epoch.
    static func parseTime(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> Int64 {
        var dates = _CSVDateCache()
        return try parseTime(b, dates: &dates)
    }

    /// `parseTime(_:)`, remembering the last valid date in `dates`.
    @inline(__always)
    static func parseTime(_ b: UnsafeBufferPointer<UInt8>, dates: inout _CSVDateCache) throws(_CSVFieldProblem)
        -> Int64
    {
        let n = b.count
        if n == 0 { throw .empty }
        if n > 4 && b[4] == 0x2D {
            if let ns = parseCommonISOTime(b, dates: dates) { return ns }
            return try parseISOTime(b, dates: &dates)
        }
        return try parseEpochMilliseconds(b)
    }

    /// The fast twin of `parseISOTime` for the shape nearly every feed writes,
    /// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` on the date `dates` last parsed: the date is a 10-byte
    /// compare, `HH:MM:SS` one word test; no calendar work, no errors. Nil for anything else
    /// (another date, an offset, any doubt), which `parseISOTime` then reads or refuses, so a
    /// value here is always the one `parseISOTime` gives (a property test holds them equal).
    @inline(__always)
    static func parseCommonISOTime(_ b: UnsafeBufferPointer<UInt8>, dates: borrowing _CSVDateCache) -> Int64? {
        let n = b.count
        // 20 bytes: `YYYY-MM-DDTHH:MM:SSZ`; 30: with 9 fraction digits.
        guard n >= 20, n <= 30, b[n &- 1] == 0x5A, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54,
            let days = dates.cachedDays(b)
        else { return nil }
        // Within ±100,000 days of 1970 (1696–2243) nanoseconds cannot overflow.
        guard days > -100_000, days < 100_000 else { return nil }
        // `HH:MM:SS` XOR `00:00:00`: digits become 0…9, colons 0.
        let w =
            UInt64(littleEndian: UnsafeRawPointer(b.baseAddress! + 11).loadUnaligned(as: UInt64.self))
            ^ 0x3030_3A30_303A_3030
        // A byte above 9 (or with its high bit set) sets a high bit; colons must be exactly 0.
        guard (w &+ 0x7676_7676_7676_7676 | w) & 0x8080_8080_8080_8080 == 0, w & 0x0000_FF00_00FF_0000 == 0 else {
            return nil
        }
        @inline(__always) func digit(_ k: UInt64) -> Int64 { Int64(truncatingIfNeeded: (w >> (8 &* k)) & 0xFF) }
        let hour = digit(0) &* 10 &+ digit(1)
        let minute = digit(3) &* 10 &+ digit(4)
        let second = digit(6) &* 10 &+ digit(7)
        guard hour < 24, minute < 60, second < 60 else { return nil }
        var fraction: Int64 = 0
        if n > 20 {
            // `.` then 1–9 digits before the `Z`.
            guard n >= 22, b[19] == 0x2E else { return nil }
            for k in 20..<(n &- 1) {
                let d = b[k] &- 0x30
                guard d < 10 else { return nil }
                fraction = fraction &* 10 &+ Int64(d)
            }
            fraction = fraction &* _powerOfTen(30 &- n)
        }
        // Safe: |days| < 100,000, so the total stays below 8.7 × 10^18.
        return (days &* 86_400 &+ hour &* 3600 &+ minute &* 60 &+ second) &* Nanos.perSecond &+ fraction
    }

    /// Digits only, at most `maxEpochMilliseconds`.
    private static func parseEpochMilliseconds(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> Int64 {
        var ms: Int64 = 0
        var tooLarge = false
        for c in b {
            let d = c &- 0x30
            if d > 9 { throw .timeSyntax }
            if !tooLarge {
                // Safe: ms ≤ maxEpochMilliseconds here, so ms × 10 + 9 fits.
                ms = ms &* 10 &+ Int64(d)
                tooLarge = ms > maxEpochMilliseconds
            }
        }
        if tooLarge { throw .epochOutOfRange }
        return ms * Nanos.perMillisecond
    }

    /// The ISO-8601 branch of `parseTime`.
    private static func parseISOTime(_ b: UnsafeBufferPointer<UInt8>, dates: inout _CSVDateCache)
        throws(_CSVFieldProblem) -> Int64
    {
        let n = b.count
        // YYYY-MM-DDTHH:MM:SS is 19 bytes, then at least `Z`.
        guard n >= 20, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A else { throw .timeSyntax }
        let days = try dates.days(b)
        let hour = try twoDigits(b, 11)
        let minute = try twoDigits(b, 14)
        let second = try twoDigits(b, 17)
        var i = 19
        var fraction: Int64 = 0
        if b[i] == 0x2E {
            i += 1
            let first = i
            while i < n && b[i] &- 0x30 < 10 {
                // Safe: at most 9 digits are kept, and fraction < 10^9.
                if i - first < 9 { fraction = fraction &* 10 &+ Int64(b[i] &- 0x30) }
                i += 1
            }
            let count = i - first
            if count == 0 { throw .timeSyntax }
            if count > 9 { throw .timeFractionTooLong }
            fraction = fraction &* _powerOfTen(9 - count)
        }
        guard i < n else { throw .timeSyntax }
        var offsetSeconds = 0
        switch b[i] {
        case 0x5A:  // Z
            guard i + 1 == n else { throw .timeSyntax }
        case 0x2B, 0x2D:  // + -
            guard i + 6 == n, b[i + 3] == 0x3A else { throw .timeSyntax }
            let oh = try twoDigits(b, i + 1)
            let om = try twoDigits(b, i + 4)
            if oh > 23 || om > 59 { throw .timeOffsetRange }
            offsetSeconds = (oh * 60 + om) * 60
            if b[i] == 0x2D { offsetSeconds = -offsetSeconds }
        default:
            throw .timeSyntax
        }
        if hour > 23 { throw .timeHourRange }
        if minute > 59 { throw .timeMinuteRange }
        if second > 59 { throw .timeSecondRange }
        // Years 0000–9999 keep seconds far inside Int64; only the nanoseconds can overflow.
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (scaled, o1) = seconds.multipliedReportingOverflow(by: Nanos.perSecond)
        let (ns, o2) = scaled.addingReportingOverflow(fraction)
        if o1 || o2 { return try nanosecondsNearTheEdge(seconds: seconds, fraction: fraction) }
        return ns
    }

    /// Instants in the last second before `Int64.min` nanoseconds overflow `seconds × 10^9`
    /// but not the sum; wider arithmetic settles them.
    @inline(never)
    private static func nanosecondsNearTheEdge(seconds: Int64, fraction: Int64) throws(_CSVFieldProblem) -> Int64 {
        let ns = Int128(seconds) * Int128(Nanos.perSecond) + Int128(fraction)
        guard let exact = Int64(exactly: ns) else { throw .timeOutOfRange }
        return exact
    }

    /// The value of the two ASCII digits at `b[at]`, `b[at + 1]`. Requires them to be in bounds.
    @inline(__always)
    static func twoDigits(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) throws(_CSVFieldProblem) -> Int {
        let high = b[at] &- 0x30
        let low = b[at + 1] &- 0x30
        if high > 9 || low > 9 { throw .timeSyntax }
        return Int(high) &* 10 &+ Int(low)
    }

    // MARK: - Price

    /// The largest price, 99999.9999, in ticks.
    static let maxPriceTicks: Int64 = 999_999_999

    /// Parses a price to ticks of $0.0001, exactly: digits with at most one `.` (`.5` and `5.`
    /// are accepted), no sign or exponent; fraction digits past the 4th must be zeros;
    /// 0 < price ≤ 99999.9999.
    static func parsePriceTicks(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> Int64 {
        let n = b.count
        if n == 0 { throw .empty }
        var i = 0
        var whole: Int64 = 0
        var digitCount = 0
        while i < n {
            let d = b[i] &- 0x30
            if d > 9 { break }
            // Stop growing past the limit; the value is already too large.
            // Safe: whole ≤ maxPriceTicks before the step, so it stays far below Int64.max.
            if whole <= maxPriceTicks { whole = whole &* 10 &+ Int64(d) }
            i += 1
        }
        digitCount = i
        var fraction: Int64 = 0
        var nonZeroPastFourth = false
        if i < n && b[i] == 0x2E {
            i += 1
            var place = 0
            while i < n {
                let d = b[i] &- 0x30
                if d > 9 { break }
                if place < 4 {
                    fraction = fraction &* 10 &+ Int64(d)  // Safe: 4 digits at most.
                } else if d != 0 {
                    nonZeroPastFourth = true
                }
                place += 1
                i += 1
            }
            digitCount += place
            for _ in min(place, 4)..<4 { fraction *= 10 }
        } else {
            fraction = 0
        }
        if i != n || digitCount == 0 { throw .priceSyntax }
        if nonZeroPastFourth { throw .priceTooManyDecimals }
        if whole > 99_999 { throw .priceTooLarge }
        let ticks = whole * 10_000 + fraction
        if ticks == 0 { throw .priceZero }
        return ticks
    }

    /// The fast twin of `parsePriceTicks` for the usual price text: 1–5 whole digits and at
    /// most 4 decimals (`23.45`, `5`, `.5`, `5.`), greater than 0. Nil for anything else, which
    /// `parsePriceTicks` then reads or refuses; a value here is always the one it gives (a
    /// property test holds them equal).
    @inline(__always)
    static func parseCommonPriceTicks(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        guard n >= 1, n <= 10 else { return nil }
        var value: Int64 = 0
        var dot = -1
        for k in 0..<n {
            let c = b[k]
            if c == 0x2E {
                guard dot < 0 else { return nil }
                dot = k
                continue
            }
            let d = c &- 0x30
            guard d < 10 else { return nil }
            value = value &* 10 &+ Int64(d)  // Safe: at most 9 digits.
        }
        let wholeDigits = dot < 0 ? n : dot
        let decimals = dot < 0 ? 0 : n &- 1 &- dot
        guard wholeDigits <= 5, decimals <= 4, wholeDigits &+ decimals > 0 else { return nil }
        let ticks = value &* _powerOfTen(4 &- decimals)
        return ticks > 0 ? ticks : nil
    }

    // MARK: - Size

    /// The fast twin of `parseSize` for 1–9 digits (never above `Int32.max`), not 0. Nil for
    /// anything else, which `parseSize` then reads or refuses.
    @inline(__always)
    static func parseCommonSize(_ b: UnsafeBufferPointer<UInt8>) -> Int32? {
        let n = b.count
        guard n >= 1, n <= 9 else { return nil }
        var value: Int32 = 0
        for c in b {
            let d = c &- 0x30
            guard d < 10 else { return nil }
            value = value &* 10 &+ Int32(d)  // Safe: at most 9 digits.
        }
        return value > 0 ? value : nil
    }

    /// Parses a size: ASCII digits only, 1 ≤ size ≤ 2147483647.
    static func parseSize(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> Int32 {
        if b.isEmpty { throw .empty }
        var v: Int64 = 0
        for c in b {
            let d = c &- 0x30
            if d > 9 { throw .sizeSyntax }
            // Safe: v ≤ Int32.max before the step.
            if v <= Int64(Int32.max) { v = v &* 10 &+ Int64(d) }
        }
        if v > Int64(Int32.max) { throw .sizeTooLarge }
        if v == 0 { throw .sizeZero }
        return Int32(v)
    }

    // MARK: - Other decimals

    /// Parses a decimal > 0 exactly (as `ExactDecimal` reads it: digits with at most one `.`,
    /// at most 18 digits).
    static func parsePositiveDecimal(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> ExactDecimal {
        if b.isEmpty { throw .empty }
        var digitCount = 0
        var dots = 0
        for c in b {
            if c == 0x2E {
                dots += 1
            } else if c &- 0x30 < 10 {
                digitCount += 1
            } else {
                throw .decimalSyntax
            }
        }
        if dots > 1 || digitCount == 0 { throw .decimalSyntax }
        if digitCount > 18 { throw .decimalTooManyDigits }
        guard let value = ExactDecimal(String(decoding: b, as: UTF8.self)) else { throw .decimalSyntax }
        if value.mantissa == 0 { throw .decimalZero }
        return value
    }

    // MARK: - Text

    /// The field as a `String`, rejecting invalid UTF-8.
    static func text(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> String {
        guard let s = String(validating: b, as: UTF8.self) else { throw .invalidUTF8 }
        return s
    }
}

/// 10^k for 0 ≤ k ≤ 9, without the lazy-initialisation check a global array costs in a hot loop.
@inline(__always)
func _powerOfTen(_ k: Int) -> Int64 {
    switch k {
    case 0: 1
    case 1: 10
    case 2: 100
    case 3: 1000
    case 4: 10_000
    case 5: 100_000
    case 6: 1_000_000
    case 7: 10_000_000
    case 8: 100_000_000
    case 9: 1_000_000_000
    default: preconditionFailure("only 10^0 … 10^9 are needed")
    }
}

/// The days since the epoch of the last valid `YYYY-MM-DD` parsed: the prints of a file mostly
/// share a few dates, so most lines skip the calendar arithmetic.
struct _CSVDateCache {
    private var head: UInt64 = 0
    private var tail: UInt16 = 0
    private var cachedDays: Int64 = 0
    private var filled = false

    /// Days since 1970-01-01 of the date in `b[0..<10]`. Requires `b.count >= 10`.
    @inline(__always)
    mutating func days(_ b: UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> Int64 {
        if let days = cachedDays(b) { return days }
        let head = UInt64(littleEndian: UnsafeRawPointer(b.baseAddress!).loadUnaligned(as: UInt64.self))
        let tail = UInt16(b[8]) | UInt16(b[9]) << 8
        return try parse(b, head: head, tail: tail)
    }

    /// The days of `b[0..<10]` when they are the date last parsed, else nil. Requires `b.count >= 10`.
    @inline(__always)
    func cachedDays(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        assert(b.count >= 10)
        let head = UInt64(littleEndian: UnsafeRawPointer(b.baseAddress!).loadUnaligned(as: UInt64.self))
        let tail = UInt16(b[8]) | UInt16(b[9]) << 8
        return filled && head == self.head && tail == self.tail ? cachedDays : nil
    }

    @inline(never)
    private mutating func parse(_ b: UnsafeBufferPointer<UInt8>, head: UInt64, tail: UInt16) throws(_CSVFieldProblem)
        -> Int64
    {
        let year = try _CSVFieldParsers.twoDigits(b, 0) * 100 + _CSVFieldParsers.twoDigits(b, 2)
        let month = try _CSVFieldParsers.twoDigits(b, 5)
        let day = try _CSVFieldParsers.twoDigits(b, 8)
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(year: year, month: month) else {
            throw .timeNoSuchDate
        }
        cachedDays = Int64(CivilDate(year: year, month: month, day: day).daysSinceEpoch)
        self.head = head
        self.tail = tail
        filled = true
        return cachedDays
    }
}
