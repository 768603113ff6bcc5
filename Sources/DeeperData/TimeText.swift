import DeeperKernels

/// Parsing of SPEC §1 instants and symbols outside CSV files (command-line flags, job JSON).
public enum TimeText {
    /// Appends `Nanos.iso8601(t)` (the same text, byte for byte) to `out` without building a
    /// `String`: a result writes one per symbol.
    public static func appendISO8601(_ t: Int64, to out: inout [UInt8]) {
        let perDay = Nanos.perDay
        let days = t >= 0 ? t / perDay : (t - perDay + 1) / perDay
        let rest = t - days * perDay
        let date = CivilDate(daysSinceEpoch: Int(days))
        // Int64 nanoseconds span the years 1677–2262: always four digits.
        PriceFormat.appendDigits(UInt64(date.year), minimumWidth: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        PriceFormat.appendDigits(UInt64(date.month), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        PriceFormat.appendDigits(UInt64(date.day), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        let seconds = rest / Nanos.perSecond
        PriceFormat.appendDigits(UInt64(seconds / 3600), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        PriceFormat.appendDigits(UInt64(seconds / 60 % 60), minimumWidth: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        PriceFormat.appendDigits(UInt64(seconds % 60), minimumWidth: 2, to: &out)
        var fraction = rest % Nanos.perSecond
        if fraction != 0 {
            var width = 9
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            out.append(UInt8(ascii: "."))
            PriceFormat.appendDigits(UInt64(fraction), minimumWidth: width, to: &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// An ISO-8601 instant (`Z` or `±HH:MM`, up to 9 fraction digits) or epoch milliseconds, as
    /// nanoseconds since the epoch; nil when malformed.
    public static func parseInstant(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { b in
            try? _CSVFieldParsers.parseTime(UnsafeBufferPointer(b))
        }
    }
}

/// SPEC §1 symbol rules.
public enum SymbolRules {
    /// `symbol` without surrounding spaces (U+0020 only): SPEC §1 trims CSV fields so, and
    /// every other way in (jobs, HTTP bodies, stream entries) applies the same rule.
    public static func trimmed(_ symbol: String) -> String {
        guard symbol.utf8.first == 0x20 || symbol.utf8.last == 0x20 else { return symbol }
        let utf8 = symbol.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 }) else { return "" }
        let last = utf8.lastIndex(where: { $0 != 0x20 })!  // Exists: `first` does.
        return String(decoding: utf8[first...last], as: UTF8.self)
    }

    /// 1–16 characters of `A–Z 0–9 space . - /`, the first a letter or digit.
    public static func isValid(_ symbol: String) -> Bool {
        var bytes = Array(symbol.utf8)
        return bytes.withUnsafeMutableBufferPointer { b in
            (try? _CSVFieldParsers.validateSymbol(UnsafeBufferPointer(b))) != nil
        }
    }
}

/// SPEC §1 field rules for bytes that arrive outside CSV files (stream entries, HTTP bodies).
public enum PrintFields {
    /// A price (0 < p ≤ 99999.9999, at most 4 significant decimals) as ticks; nil when invalid.
    public static func priceTicks(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        try? _CSVFieldParsers.parsePriceTicks(bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// A size 1…2147483647; nil when invalid.
    public static func size(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        try? _CSVFieldParsers.parseSize(bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// Whether the bytes are a valid symbol.
    public static func isValidSymbol(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (try? _CSVFieldParsers.validateSymbol(bytes.assumingMemoryBound(to: UInt8.self))) != nil
    }

    /// Longest venue, in bytes.
    public static let maxVenueBytes = 32

    /// Whether trimmed bytes are a venue: at most ``maxVenueBytes`` of printable ASCII
    /// (0x20–0x7E), so a venue can never carry control bytes into logs, results and pages,
    /// nor megabytes into every print of the history. Empty means "unknown venue".
    public static func isValidVenue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count <= maxVenueBytes && bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }

    /// Why trimmed bytes are not a venue, worded as CSV line errors are.
    public static func venueProblem(_ bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.count > maxVenueBytes { return "venue longer than \(maxVenueBytes) bytes" }
        if !bytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) { return "venue must be printable ASCII" }
        return nil
    }

    /// The bytes without surrounding spaces (U+0020), as CSV fields are trimmed (SPEC §1).
    public static func trimmingSpaces(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && bytes[start] == 0x20 { start += 1 }
        while end > start && bytes[end - 1] == 0x20 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}

/// A print field outside a CSV file that breaks SPEC §1; `reason` is worded as CSV line errors
/// word it (`more than 4 decimal places`), without the offending text.
public struct PrintFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}

extension PrintFields {
    // Throwing twins of the parsers above, for callers that report why a value was refused
    // (the HTTP API's per-print rejections).

    /// Checks a symbol (1–16 of `A–Z 0–9 space . - /`, the first a letter or digit).
    public static func checkSymbol(_ text: String) throws(PrintFieldError) {
        try _withBytes(text) { (b) throws(_CSVFieldProblem) in try _CSVFieldParsers.validateSymbol(b) }
    }

    /// An ISO-8601 instant or epoch milliseconds, as nanoseconds since the epoch.
    public static func checkedTime(_ text: String) throws(PrintFieldError) -> Int64 {
        try _withBytes(text) { (b) throws(_CSVFieldProblem) in try _CSVFieldParsers.parseTime(b) }
    }

    /// A price as exact ticks of $0.0001, from its decimal text (never through `Double`).
    public static func checkedPriceTicks(_ text: String) throws(PrintFieldError) -> Int64 {
        try _withBytes(text) { (b) throws(_CSVFieldProblem) in try _CSVFieldParsers.parsePriceTicks(b) }
    }

    /// A size, 1…2147483647.
    public static func checkedSize(_ text: String) throws(PrintFieldError) -> Int32 {
        try _withBytes(text) { (b) throws(_CSVFieldProblem) in try _CSVFieldParsers.parseSize(b) }
    }

    private static func _withBytes<T>(
        _ text: String, _ parse: (UnsafeBufferPointer<UInt8>) throws(_CSVFieldProblem) -> T
    ) throws(PrintFieldError) -> T {
        var bytes = Array(text.utf8)
        let result: Result<T, _CSVFieldProblem> = bytes.withUnsafeMutableBufferPointer { b in
            Result { () throws(_CSVFieldProblem) in try parse(UnsafeBufferPointer(b)) }
        }
        switch result {
        case .success(let value): return value
        case .failure(let problem): throw PrintFieldError(reason: problem.reason)
        }
    }
}
