import DeeperKernels

/// Parsing of SPEC §1 instants and symbols outside CSV files (command-line flags, job JSON).
public enum TimeText {
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
    /// 1–16 characters of `A–Z 0–9 space . - /`, the first a letter or digit.
    public static func isValid(_ symbol: String) -> Bool {
        var bytes = Array(symbol.utf8)
        return bytes.withUnsafeMutableBufferPointer { b in
            (try? _CSVFieldParsers.validateSymbol(UnsafeBufferPointer(b))) != nil
        }
    }
}
