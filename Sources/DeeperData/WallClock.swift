import Foundation

/// The wall clock in Deeper's instant unit, for as-of `live`, statuses and stream trimming.
public enum WallClock {
    /// Now, nanoseconds since the Unix epoch (microsecond resolution).
    public static func now() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000_000) * 1000
    }
}

extension Duration {
    /// The duration in seconds, for reports and log lines.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
