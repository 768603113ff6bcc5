/// Everything SPEC §10.1 reports for one symbol. Fixed-size: building one allocates nothing
/// (except `topPrices` in detail mode), and apart from `topPrices` it copies as plain bytes.
public struct SymbolMetrics: Sendable, Equatable {
    /// The as-of instant used (nanoseconds); nil when the symbol has no history.
    public var asOf: Int64?
    /// The price of the last print of the history, in ticks; nil when the symbol has no history.
    public var lastPrice: Int64?
    /// How many prints the (capped) history holds (SPEC §5).
    public var tickCount: Int
    /// GOD in dollars (SPEC §8); nil without a last price or a GRPAN time-window price.
    public var god: Double?
    /// ROD in dollars (SPEC §8); nil without a last price or an RWVAP.
    public var rod: Double?
    /// The seven GRPAN windows, indexed by `GRPANWindow.rawValue` (SPEC §6.2 order).
    public var grpan: InlineArray<7, GRPANWindowMetrics>
    /// The three RWVAP windows, indexed by `RWVAPWindow.rawValue` (SPEC §7 order).
    public var rwvap: InlineArray<3, RWVAPWindowMetrics>
    /// SRPAN (SPEC §9).
    public var srpan: SRPANMetrics
    /// Detail mode only: each GRPAN window's `top_prices` (SPEC §6.2), in window order (empty
    /// lists for empty windows); nil otherwise.
    public var topPrices: [[PriceWeight]]?

    /// Creates the metrics of one symbol from their parts; the kernels build these, callers read them.
    public init(
        asOf: Int64?, lastPrice: Int64?, tickCount: Int, god: Double?, rod: Double?,
        grpan: InlineArray<7, GRPANWindowMetrics>, rwvap: InlineArray<3, RWVAPWindowMetrics>,
        srpan: SRPANMetrics, topPrices: [[PriceWeight]]? = nil
    ) {
        self.asOf = asOf
        self.lastPrice = lastPrice
        self.tickCount = tickCount
        self.god = god
        self.rod = rod
        self.grpan = grpan
        self.rwvap = rwvap
        self.srpan = srpan
        self.topPrices = topPrices
    }

    /// The metrics of one GRPAN window.
    public subscript(window: GRPANWindow) -> GRPANWindowMetrics { grpan[window.rawValue] }
    /// The metrics of one RWVAP window.
    public subscript(window: RWVAPWindow) -> RWVAPWindowMetrics { rwvap[window.rawValue] }

    /// Detail mode's `top_prices` of one GRPAN window; nil outside detail mode.
    public func topPrices(_ window: GRPANWindow) -> [PriceWeight]? { topPrices?[window.rawValue] }

    /// Whether every field is equal, doubles compared exactly (the fast path and the reference
    /// must agree to the bit).
    public static func == (a: SymbolMetrics, b: SymbolMetrics) -> Bool {
        guard a.asOf == b.asOf, a.lastPrice == b.lastPrice, a.tickCount == b.tickCount,
            a.god == b.god, a.rod == b.rod, a.srpan == b.srpan, a.topPrices == b.topPrices
        else { return false }
        for i in 0..<7 where a.grpan[i] != b.grpan[i] { return false }
        for i in 0..<3 where a.rwvap[i] != b.rwvap[i] { return false }
        return true
    }
}

/// When "now" is for a computation (SPEC §4), once `live` has been resolved.
public enum AsOf: Sendable, Equatable {
    /// Per symbol, the time of its most recent eligible print.
    case last
    /// The same instant (nanoseconds) for every symbol.
    case instant(Int64)
}

extension SymbolMetrics {
    /// A placeholder for in-place computation to overwrite: every window empty, no history.
    static let unset = SymbolMetrics(
        asOf: nil, lastPrice: nil, tickCount: 0, god: nil, rod: nil,
        grpan: InlineArray(repeating: .empty),
        rwvap: InlineArray(
            repeating: RWVAPWindowMetrics(
                rwvap: nil, status: .insufficientData, totalVolume: 0, effectivePrintCount: 0,
                excludedPrintCount: 0, excludedVolume: 0, excludedVolumeRatio: 0, deviationVsLast: nil,
                avgADV: nil, extremeThreshold: nil)),
        srpan: .empty)

    /// A symbol with no history: nulls everywhere, RWVAP still reporting avg_adv (SPEC §10.1);
    /// in detail mode every window's `topPrices` is an empty list.
    public static func noHistory(avgADV: ExactDecimal?, rules: Rules, detail: Bool = false) -> SymbolMetrics {
        let rwvap = MetricsAssembly.rwvapWindow(RWVAPSums(), lastPrice: nil, avgADV: avgADV, rules: rules)
        return SymbolMetrics(
            asOf: nil, lastPrice: nil, tickCount: 0, god: nil, rod: nil,
            grpan: InlineArray(repeating: .empty), rwvap: InlineArray(repeating: rwvap), srpan: .empty,
            topPrices: detail ? Array(repeating: [], count: GRPANWindow.count) : nil)
    }
}
