// GRPAN's plain reference: index lists, a dictionary of weights and a sort, following SPEC §6
// line by line. The fast sweep in `GRPAN+Unsafe.swift` is held equal to it.

extension ReferenceKernels {
    /// How many prices detail mode reports per GRPAN window (SPEC §6.1 `top_prices`).
    public static let topPricesLimit = 5

    /// The prints of each GRPAN window, in SPEC order (`GRPANWindow.allCases`).
    static func grpanWindowIndices(
        _ columns: PrintColumns, history: [Int], asOf now: Int64, parameters: AnalysisParameters
    ) -> [[Int]] {
        GRPANWindow.allCases.map { w in
            switch w.length(parameters.rules) {
            case .prints(let n):
                return Array(history.suffix(n))
            case .minutes(let minutes):
                let (start, overflow) = now.subtractingReportingOverflow(Int64(minutes) * Nanos.perMinute)
                let from = overflow ? Int64.min : start
                return history.filter { columns.time[$0] >= from }
            case .tradingDays(let days):
                let from = parameters.calendar.windowStart(tradingDays: days, at: now)
                return history.filter { columns.time[$0] >= from }
            }
        }
    }

    /// One GRPAN window from its prints (deviations are linked later), and in detail mode its
    /// `top_prices` (nil otherwise).
    static func grpanWindow(_ columns: PrintColumns, window: [Int], rules: Rules, detail: Bool)
        -> (metrics: GRPANWindowMetrics, topPrices: [PriceWeight]?)
    {
        let ranked = rankedPrices(columns, window: window)
        let mode = ranked.first?.price
        var inBand = 0
        if let mode {
            inBand = bandCount(window.map { columns.price[$0] }, center: mode, band: rules.concentrationRangeTicks)
        }
        var realLots: Int64 = 0
        for i in window { realLots += Int64(columns.size[i]) }
        let metrics = MetricsAssembly.grpanWindow(
            mode: mode, printCount: window.count, realLotCount: realLots, bandCount: inBand)
        return (metrics, detail ? Array(ranked.prefix(topPricesLimit)) : nil)
    }

    /// `grpan_price` of a set of prints: the price with the largest summed weight; on a tie, the
    /// price whose first print in the set comes earliest. nil for an empty set.
    public static func weightedMode(_ columns: PrintColumns, window: some Collection<Int>) -> Int64? {
        rankedPrices(columns, window: window).first?.price
    }

    /// Detail-mode `top_prices`: up to `limit` prices of the window with their summed weights
    /// (thousandths), by weight descending, ties by earliest first print in the window.
    public static func topPrices(_ columns: PrintColumns, window: Range<Int>, limit: Int) -> [PriceWeight] {
        Array(rankedPrices(columns, window: window).prefix(limit))
    }

    /// Every distinct price of the window with W(p), ordered by W desc, then first print asc.
    static func rankedPrices(_ columns: PrintColumns, window: some Collection<Int>) -> [PriceWeight] {
        var weight: [Int64: Int64] = [:]
        var firstSeen: [Int64: Int] = [:]
        for (position, i) in window.enumerated() {
            let p = columns.price[i]
            weight[p, default: 0] += Int64(columns.weight[i])
            if firstSeen[p] == nil { firstSeen[p] = position }
        }
        let prices = weight.keys.sorted { a, b in
            let wa = weight[a]!
            let wb = weight[b]!
            return wa != wb ? wa > wb : firstSeen[a]! < firstSeen[b]!
        }
        return prices.map { PriceWeight(price: $0, weight: weight[$0]!) }
    }

    /// `concentration_percent`'s count (SPEC §6): how many of `prices` lie within `band` ticks of
    /// `center`, inclusive. The plain twin of `_GRPANHistogram.bandCountUnsafe`.
    static func bandCount(_ prices: some Sequence<Int64>, center: Int64, band: Int64) -> Int {
        prices.filter { abs($0 - center) <= band }.count
    }
}
