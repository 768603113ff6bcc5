/// The plain reference implementation of every metric of SPEC §4–§9.
///
/// Written to follow SPEC line by line and to be obviously correct, not fast: it filters index
/// lists, counts into dictionaries and sorts. The fast kernels are held equal to it, exactly, by
/// property tests. It computes every exact integer aggregate itself and hands them to
/// `MetricsAssembly`, so the two paths agree to the last bit whenever their aggregates agree.
///
/// This file holds the whole-symbol walk; each metric's part sits in its folder beside the fast
/// path it checks (`GRPAN/GRPAN+Reference.swift`, `RWVAP/RWVAP+Reference.swift`,
/// `SRPAN/SRPAN+Reference.swift`).
public enum ReferenceKernels {
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
    ///   In detail mode `topPrices` has every GRPAN window's list (empty for an empty window);
    ///   otherwise it is nil.
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
        var topPrices: [[PriceWeight]]? = parameters.detail ? [] : nil
        for w in GRPANWindow.allCases {
            let window = grpanWindow(columns, window: windows[w.rawValue], rules: rules, detail: parameters.detail)
            grpan[w.rawValue] = window.metrics
            if let top = window.topPrices { topPrices?.append(top) }
        }
        MetricsAssembly.linkGRPANDeviations(&grpan, lastPrice: lastPrice)

        // SPEC §7: the three RWVAP windows.
        let sizeLimit = MetricsAssembly.effectiveSizeLimit(avgADV: avgADV, rules: rules)
        var rwvap = InlineArray<3, RWVAPWindowMetrics>(
            repeating: MetricsAssembly.rwvapWindow(RWVAPSums(), lastPrice: nil, avgADV: avgADV, rules: rules))
        for w in RWVAPWindow.allCases {
            let start = parameters.calendar.windowStart(tradingDays: w.tradingDays(rules), at: now)
            let window = history.filter { columns.time[$0] >= start }
            let sums = rwvapSums(columns, window: window, effectiveSizeLimit: sizeLimit)
            rwvap[w.rawValue] = MetricsAssembly.rwvapWindow(sums, lastPrice: lastPrice, avgADV: avgADV, rules: rules)
        }

        // SPEC §8 and §9.
        let god = MetricsAssembly.god(grpan, lastPrice: lastPrice)
        let rod = MetricsAssembly.rod(rwvap, lastPrice: lastPrice)
        let srpan = MetricsAssembly.srpan(srpanAggregates(columns, history: historyRange, rules: rules), rules: rules)

        return SymbolMetrics(
            asOf: now, lastPrice: lastPrice, tickCount: tickCount, god: god, rod: rod, grpan: grpan,
            rwvap: rwvap, srpan: srpan, topPrices: topPrices)
    }

    // MARK: - History (SPEC §4, §5)

    /// Resolves `as_of` and the visible history of one symbol.
    ///
    /// `history` = the prints of `range` with time ≤ as_of, then only the last `rules.historyCap`
    /// of them when the cap is positive. Because `range` is sorted by time, it is a contiguous
    /// sub-range of `range`.
    ///
    /// - Parameters:
    ///   - columns: the print columns.
    ///   - range: the symbol's slice of `columns`, sorted stably by time.
    ///   - asOf: "now" (SPEC §4).
    ///   - rules: `historyCap` comes from here.
    /// - Returns: `asOf` is the resolved instant, or nil when the history is empty (SPEC §10.1:
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
}
