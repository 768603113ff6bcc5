/// The NYSE trading calendar of SPEC §3: trading days, 09:30 America/New_York opens and the
/// trading-day window starts the kernels use.
///
/// Built once per rules value (the extra closures are configurable); lookups are binary
/// searches over a precomputed table of session opens.
public struct TradingCalendar: Sendable {
    public init(extraClosures: [CivilDate]) {
        fatalError("TODO")
    }

    /// Whether `date` is an NYSE trading day (weekday, not a holiday, not an extra closure).
    public func isTradingDay(_ date: CivilDate) -> Bool { fatalError("TODO") }

    /// The 09:30 America/New_York open of `date`, as nanoseconds since the epoch (UTC).
    public func openInstant(of date: CivilDate) -> Int64 { fatalError("TODO") }

    /// The latest trading day whose 09:30 open is ≤ `t` (SPEC §3 "anchor day").
    public func anchorDay(at t: Int64) -> CivilDate? { fatalError("TODO") }

    /// `start_of(n trading days)` at `t`: the open of the trading day n−1 trading days before
    /// the anchor day (n = 1 → the anchor day's own open).
    public func windowStart(tradingDays n: Int, at t: Int64) -> Int64 { fatalError("TODO") }

    /// Whether the regular session (09:30–16:00 America/New_York on a trading day) is open at `t`.
    public func isSessionOpen(at t: Int64) -> Bool { fatalError("TODO") }
}
