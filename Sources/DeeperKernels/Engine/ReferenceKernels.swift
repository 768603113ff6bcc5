/// The plain reference implementation of every metric of SPEC §4–§9.
///
/// Written to follow SPEC line by line and to be obviously correct, not fast: it filters index
/// lists, counts into dictionaries and sorts. The fast kernels are held equal to it, exactly, by
/// property tests. It computes every exact integer aggregate itself and hands them to
/// `MetricsAssembly`, so the two paths agree to the last bit whenever their aggregates agree.
public enum ReferenceKernels {
    /// How many prices detail mode reports per GRPAN window (SPEC §6 `top_prices`).
    public static let topPricesLimit = 5

    // MARK: - One symbol

    /// All metrics of one symbol (SPEC §5–§9).
    ///
    /// - Parameters:
    ///   - columns: the print columns.
    ///   - range: the symbol's slice of `columns`: its eligible prints, sorted stably by time.
    ///   - avgADV: the symbol's `avg_adv`; nil when unknown (then nothing is excluded from RWVAP).
    ///   - asOf: "now" (SPEC §4); `.last` resolves to the time of the symbol's last print.
    ///   - parameters: rules, calendar and whether to produce `top_prices`.
    /// - Returns: the metrics; a symbol with no history gets nulls, zero counts, the empty SRPAN
    ///   result and `INSUFFICIENT_DATA` RWVAP windows that still report `avg_adv`.
    ///   In detail mode every GRPAN window has `topPrices` (empty for an empty window); otherwise
    ///   `topPrices` is nil.
    public static func analyzeSymbol(
        _ columns: PrintColumns, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters
    ) -> SymbolMetrics {
        let rules = parameters.rules
        let (resolvedAsOf, historyRange) = history(columns, range: range, asOf: asOf, rules: rules)

        guard let now = resolvedAsOf else {
            // No history: nothing to measure, but RWVAP still reports avg_adv and the threshold.
            return .noHistory(avgADV: avgADV, rules: rules, detail: parameters.detail)
        }

        // SPEC §5: history, last_price, tick_count.
        let history = Array(historyRange)
        let lastPrice = columns.price[history[history.count - 1]]
        let tickCount = history.count

        // SPEC §6: the seven GRPAN windows, in order.
        let windows = grpanWindowIndices(columns, history: history, asOf: now, parameters: parameters)
        var grpan = InlineArray<7, GRPANWindowMetrics>(repeating: .empty)
        for w in 0..<7 {
            grpan[w] = grpanWindow(columns, window: windows[w], rules: rules, detail: parameters.detail)
        }
        MetricsAssembly.linkGRPANDeviations(&grpan, lastPrice: lastPrice)

        // SPEC §7: the three RWVAP windows.
        let sizeLimit = MetricsAssembly.effectiveSizeLimit(avgADV: avgADV, rules: rules)
        var rwvap = InlineArray<3, RWVAPWindowMetrics>(
            repeating: MetricsAssembly.rwvapWindow(RWVAPSums(), lastPrice: nil, avgADV: avgADV, rules: rules))
        for w in 0..<3 {
            let start = parameters.calendar.windowStart(tradingDays: rules.rwvapTradingDays[w], at: now)
            let window = history.filter { columns.time[$0] >= start }
            let sums = rwvapSums(columns, window: window, effectiveSizeLimit: sizeLimit)
            rwvap[w] = MetricsAssembly.rwvapWindow(sums, lastPrice: lastPrice, avgADV: avgADV, rules: rules)
        }

        // SPEC §8 and §9.
        let god = MetricsAssembly.god(grpan, lastPrice: lastPrice)
        let rod = MetricsAssembly.rod(rwvap, lastPrice: lastPrice)
        let srpan = MetricsAssembly.srpan(srpanAggregates(columns, history: historyRange, rules: rules), rules: rules)

        return SymbolMetrics(
            asOf: now, lastPrice: lastPrice, tickCount: tickCount, god: god, rod: rod, grpan: grpan,
            rwvap: rwvap, srpan: srpan)
    }

    // MARK: - History (SPEC §4, §5)

    /// Resolves `as_of` and the visible history of one symbol.
    ///
    /// `history` = the prints of `range` with time ≤ as_of, then only the last `rules.historyCap`
    /// of them when the cap is positive. Because `range` is sorted by time, it is a contiguous
    /// sub-range of `range`.
    ///
    /// - Returns: `asOf` is the resolved instant, or nil when the history is empty (SPEC §10:
    ///   such a symbol has a null timestamp); `range` is the history, empty when `asOf` is nil.
    public static func history(_ columns: PrintColumns, range: Range<Int>, asOf: AsOf, rules: Rules)
        -> (asOf: Int64?, range: Range<Int>)
    {
        let none = (asOf: Int64?.none, range: range.lowerBound..<range.lowerBound)
        let now: Int64
        switch asOf {
        case .last:
            guard let latest = range.map({ columns.time[$0] }).max() else { return none }
            now = latest
        case .instant(let t):
            now = t
        }
        var visible = range.filter { columns.time[$0] <= now }
        if rules.historyCap > 0 && visible.count > rules.historyCap {
            visible = Array(visible.suffix(rules.historyCap))
        }
        guard let first = visible.first, let last = visible.last else { return none }
        precondition(last - first + 1 == visible.count, "a symbol's prints must be sorted by time")
        return (now, first..<(last + 1))
    }

    // MARK: - GRPAN (SPEC §6)

    /// The prints of each GRPAN window, in SPEC order: latest_pan, pan_10m, pan_30m, pan_1h,
    /// pan_3h, pan_1d, pan_3d.
    static func grpanWindowIndices(
        _ columns: PrintColumns, history: [Int], asOf now: Int64, parameters: AnalysisParameters
    ) -> [[Int]] {
        let rules = parameters.rules
        var windows: [[Int]] = [Array(history.suffix(rules.latestPanPrints))]
        for minutes in rules.panMinutes {
            let (start, overflow) = now.subtractingReportingOverflow(Int64(minutes) * Nanos.perMinute)
            let from = overflow ? Int64.min : start
            windows.append(history.filter { columns.time[$0] >= from })
        }
        for days in rules.panTradingDays {
            let from = parameters.calendar.windowStart(tradingDays: days, at: now)
            windows.append(history.filter { columns.time[$0] >= from })
        }
        return windows
    }

    /// One GRPAN window from its prints (deviations are linked later).
    static func grpanWindow(_ columns: PrintColumns, window: [Int], rules: Rules, detail: Bool)
        -> GRPANWindowMetrics
    {
        let ranked = rankedPrices(columns, window: window)
        let mode = ranked.first?.price
        var bandCount = 0
        if let mode {
            bandCount = window.filter { abs(columns.price[$0] - mode) <= rules.concentrationRangeTicks }.count
        }
        var realLots: Int64 = 0
        for i in window { realLots += Int64(columns.size[i]) }
        var metrics = MetricsAssembly.grpanWindow(
            mode: mode, printCount: window.count, realLotCount: realLots, bandCount: bandCount)
        if detail { metrics.topPrices = Array(ranked.prefix(topPricesLimit)) }
        return metrics
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

    // MARK: - RWVAP (SPEC §7)

    /// Exact sums of one RWVAP window. A print is effective when `size ≤ effectiveSizeLimit`
    /// (see `MetricsAssembly.effectiveSizeLimit`), excluded otherwise.
    public static func rwvapSums(_ columns: PrintColumns, window: some Collection<Int>, effectiveSizeLimit: Int64)
        -> RWVAPSums
    {
        var s = RWVAPSums()
        for i in window {
            let size = Int64(columns.size[i])
            if size <= effectiveSizeLimit {
                s.effectiveCount += 1
                s.effectiveVolume += size
                s.effectivePriceVolume += Int128(columns.price[i]) * Int128(size)
            } else {
                s.excludedCount += 1
                s.excludedVolume += size
            }
        }
        return s
    }

    // MARK: - SRPAN (SPEC §9)

    /// The integer aggregates of SRPAN over the last `rules.srpanCandidates` prints of `history`;
    /// nil for the empty result (too few candidates, or fewer than 2 distinct cents).
    public static func srpanAggregates(_ columns: PrintColumns, history: Range<Int>, rules: Rules)
        -> SRPANAggregates?
    {
        let candidates = Array(history.suffix(rules.srpanCandidates))
        if candidates.count < rules.srpanMinCandidates { return nil }

        // V(c) and first appearance of each cent, in candidate order.
        var volume: [Int64: Int64] = [:]
        var firstSeen: [Int64: Int] = [:]
        for (position, i) in candidates.enumerated() {
            let cent = (columns.price[i] + 50) / 100  // half up; prices are positive
            let w =
                rules.srpanFullWeightSizes.contains(columns.size[i]) ? rules.srpanFullWeight : rules.srpanOtherWeight
            volume[cent, default: 0] += w
            if firstSeen[cent] == nil { firstSeen[cent] = position }
        }
        if volume.count < 2 { return nil }
        let total = volume.values.reduce(0, +)

        /// The cent of `cents` with the largest V; ties to the earliest first appearance.
        func heaviest(_ cents: [Int64]) -> Int64? {
            cents.min { a, b in
                volume[a]! != volume[b]! ? volume[a]! > volume[b]! : firstSeen[a]! < firstSeen[b]!
            }
        }

        let g1 = heaviest(Array(volume.keys))!
        let g1Band = volume.filter { abs($0.key - g1) <= rules.srpanConfidenceCents }.values.reduce(0, +)
        let g2Candidates = volume.keys.filter { abs($0 - g1) >= rules.srpanSeparationCents }
        guard let g2 = heaviest(g2Candidates) else {
            return SRPANAggregates(g1Cents: g1, g1BandWeight: g1Band, g2Cents: nil, g2BandWeight: 0, totalWeight: total)
        }
        let g2Band = volume.filter {
            abs($0.key - g2) <= rules.srpanConfidenceCents && abs($0.key - g1) >= rules.srpanSeparationCents
        }.values.reduce(0, +)
        return SRPANAggregates(g1Cents: g1, g1BandWeight: g1Band, g2Cents: g2, g2BandWeight: g2Band, totalWeight: total)
    }
}
