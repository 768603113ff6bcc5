extension Duration {
    /// Whole `unit`s in this duration, rounded toward zero and clamped to `Int64`:
    /// `Duration.milliseconds(1_500).whole(.seconds(1))` is 1.
    ///
    /// The one conversion of a `Duration` to an integer count (milliseconds for Redis `BLOCK`
    /// and `poll(2)`, microseconds for `timeval` and sleeps, nanoseconds for metrics), exact
    /// over the whole range of both.
    public func whole(_ unit: Duration) -> Int64 {
        precondition(unit > .zero, "a unit must be positive")
        let attosecondsPerSecond: Int128 = 1_000_000_000_000_000_000
        let (seconds, attoseconds) = components
        let (unitSeconds, unitAttoseconds) = unit.components
        let total = Int128(seconds) * attosecondsPerSecond + Int128(attoseconds)
        return Int64(clamping: total / (Int128(unitSeconds) * attosecondsPerSecond + Int128(unitAttoseconds)))
    }
}
