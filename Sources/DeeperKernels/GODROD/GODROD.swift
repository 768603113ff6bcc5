// GOD and ROD (SPEC §8): how far the last price stands from where the stock has been trading,
// by GRPAN and by RWVAP. Both paths compute them from their windows here, so they agree whenever
// the windows do.

extension MetricsAssembly {
    /// GOD (SPEC §8): last price minus the mean of the non-null GRPAN prices of the time
    /// windows (every window but `latest_pan`).
    public static func god(_ windows: InlineArray<7, GRPANWindowMetrics>, lastPrice: Int64?) -> Double? {
        guard let lastPrice else { return nil }
        var sum: Int64 = 0
        var n: Int64 = 0
        for w in GRPANWindow.all where w.isTimeWindow {
            if let g = windows[w.rawValue].grpanPrice {
                sum += g
                n += 1
            }
        }
        guard n > 0 else { return nil }
        return Double(lastPrice * n - sum) / Double(n) / ticksPerDollar
    }

    /// ROD (SPEC §8): last price minus the mean of the non-null RWVAPs.
    public static func rod(_ windows: InlineArray<3, RWVAPWindowMetrics>, lastPrice: Int64?) -> Double? {
        guard let lastPrice else { return nil }
        var sum = 0.0
        var n = 0.0
        for w in RWVAPWindow.all {
            if let r = windows[w.rawValue].rwvap {
                sum += r
                n += 1
            }
        }
        guard n > 0 else { return nil }
        return Double(lastPrice) / ticksPerDollar - sum / n
    }
}
