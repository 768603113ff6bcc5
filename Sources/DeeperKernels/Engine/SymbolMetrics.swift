/// Everything SPEC §10 reports for one symbol. Fixed-size: building one allocates nothing
/// (except `topPrices` in detail mode), and apart from `topPrices` it copies as plain bytes.
public struct SymbolMetrics: Sendable, Equatable {
    /// The as-of instant used (nanoseconds); nil when the symbol has no history.
    public var asOf: Int64?
    public var lastPrice: Int64?
    public var tickCount: Int
    public var god: Double?
    public var rod: Double?
    public var grpan: InlineArray<7, GRPANWindowMetrics>
    public var rwvap: InlineArray<3, RWVAPWindowMetrics>
    public var srpan: SRPANMetrics
    /// Detail mode only: each GRPAN window's `top_prices` (SPEC §6), in window order (empty
    /// lists for empty windows); nil otherwise.
    public var topPrices: [[PriceWeight]]?

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

    public subscript(window: GRPANWindow) -> GRPANWindowMetrics { grpan[window.rawValue] }
    public subscript(window: RWVAPWindow) -> RWVAPWindowMetrics { rwvap[window.rawValue] }

    /// Detail mode's `top_prices` of one GRPAN window; nil outside detail mode.
    public func topPrices(_ window: GRPANWindow) -> [PriceWeight]? { topPrices?[window.rawValue] }

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
    /// A symbol with no history: nulls everywhere, RWVAP still reporting avg_adv (SPEC §10);
    /// in detail mode every window's `topPrices` is an empty list.
    public static func noHistory(avgADV: ExactDecimal?, rules: Rules, detail: Bool = false) -> SymbolMetrics {
        let rwvap = MetricsAssembly.rwvapWindow(RWVAPSums(), lastPrice: nil, avgADV: avgADV, rules: rules)
        return SymbolMetrics(
            asOf: nil, lastPrice: nil, tickCount: 0, god: nil, rod: nil,
            grpan: InlineArray(repeating: .empty), rwvap: InlineArray(repeating: rwvap), srpan: .empty,
            topPrices: detail ? Array(repeating: [], count: GRPANWindow.count) : nil)
    }
}
