// RWVAP (SPEC §7): a volume-weighted average price over three trading-day windows, with prints
// above the symbol's extreme threshold excluded.
//
// This folder holds the metric whole: its windows, exact sums and numbers here, the plain
// reference in `RWVAP+Reference.swift`, the fast segment sums in `RWVAP+Unsafe.swift`. The test
// that holds them equal is `Tests/DeeperKernelsTests/RWVAP/RWVAPTests.swift`.

/// Names of the RWVAP windows, in SPEC §7 order.
public enum RWVAPWindow: Int, CaseIterable, Sendable {
    /// An RWVAP window: prints since the open 1, 3 or 5 trading days back by default (SPEC §7);
    /// ``name`` is its JSON key.
    case rwvap1d, rwvap3d, rwvap5d

    /// The number of windows: the size of `SymbolMetrics.rwvap`.
    public static let count = 3

    /// The JSON key.
    public var name: String {
        switch self {
        case .rwvap1d: "rwvap_1d"
        case .rwvap3d: "rwvap_3d"
        case .rwvap5d: "rwvap_5d"
        }
    }

    /// Every window in SPEC order, without building an array (see `GRPANWindow.all`).
    static var all: LazyMapSequence<Range<Int>, RWVAPWindow> {
        (0..<count).lazy.map { RWVAPWindow(rawValue: $0)! }
    }

    /// The window's length in trading days under `rules`.
    func tradingDays(_ rules: Rules) -> Int {
        switch self {
        case .rwvap1d: rules.rwvapTradingDays[0]
        case .rwvap3d: rules.rwvapTradingDays[1]
        case .rwvap5d: rules.rwvapTradingDays[2]
        }
    }
}

/// Whether an RWVAP window had enough effective prints for a value (SPEC §7); the raw value is
/// the JSON text.
public enum RWVAPStatus: String, Sendable {
    /// At least `rules.rwvapMinPrints` effective prints: `rwvap` is set.
    case ok = "OK"
    /// Some effective prints, too few for a value.
    case collecting = "COLLECTING"
    /// No effective print (an empty window included).
    case insufficientData = "INSUFFICIENT_DATA"
}

/// One RWVAP window's numbers (SPEC §7). `rwvap` and deviations are in dollars.
public struct RWVAPWindowMetrics: Sendable, Equatable {
    /// Σ price × size ÷ Σ size over the effective prints, in dollars; nil unless `status` is `ok`.
    public var rwvap: Double?
    /// Whether the window had enough effective prints.
    public var status: RWVAPStatus
    /// Σ size of the effective prints.
    public var totalVolume: Int64
    /// Prints at or below the extreme threshold (every print of the window when there is none).
    public var effectivePrintCount: Int
    /// Prints above the extreme threshold.
    public var excludedPrintCount: Int
    /// Σ size of the excluded prints.
    public var excludedVolume: Int64
    /// `excludedVolume ÷ (totalVolume + excludedVolume)`; 0 when both are 0.
    public var excludedVolumeRatio: Double
    /// Last price minus `rwvap` from the exact numerator, in dollars; nil when `rwvap` is.
    public var deviationVsLast: Double?
    /// The symbol's `avg_adv`; nil when unknown.
    public var avgADV: Double?
    /// `avg_adv × extreme_multiplier`; nil when `avg_adv` is unknown.
    public var extremeThreshold: Double?

    /// A window's numbers from their parts; `MetricsAssembly.rwvapWindow` builds them from sums.
    public init(
        rwvap: Double?, status: RWVAPStatus, totalVolume: Int64, effectivePrintCount: Int,
        excludedPrintCount: Int, excludedVolume: Int64, excludedVolumeRatio: Double,
        deviationVsLast: Double?, avgADV: Double?, extremeThreshold: Double?
    ) {
        self.rwvap = rwvap
        self.status = status
        self.totalVolume = totalVolume
        self.effectivePrintCount = effectivePrintCount
        self.excludedPrintCount = excludedPrintCount
        self.excludedVolume = excludedVolume
        self.excludedVolumeRatio = excludedVolumeRatio
        self.deviationVsLast = deviationVsLast
        self.avgADV = avgADV
        self.extremeThreshold = extremeThreshold
    }
}

/// What every RWVAP window of a symbol reports about its `avg_adv`, as doubles.
struct RWVAPReported {
    var avgADV: Double?
    var extremeThreshold: Double?

    init(avgADV: ExactDecimal?, multiplier: ExactDecimal) {
        self.avgADV = avgADV?.doubleValue
        self.extremeThreshold = avgADV?.productDouble(with: multiplier)
    }
}

/// Exact integer aggregates of one RWVAP window (SPEC §7), before the final division.
public struct RWVAPSums: Sendable, Equatable {
    /// Σ price·size over effective prints (ticks × shares) as a two's-complement 128-bit pair.
    /// Kept as two words rather than `Int128` so the hot path adds with plain 64-bit carries
    /// and never enters the generic `Int128` conversions.
    @usableFromInline var priceVolumeHigh: Int64 = 0
    @usableFromInline var priceVolumeLow: UInt64 = 0
    /// Σ size over effective prints.
    public var effectiveVolume: Int64 = 0
    /// The number of effective prints.
    public var effectiveCount: Int = 0
    /// The number of excluded prints (size above the extreme threshold).
    public var excludedCount: Int = 0
    /// Σ size over excluded prints.
    public var excludedVolume: Int64 = 0

    /// Zero sums: an empty window.
    public init() {}

    /// Σ price·size over effective prints, in ticks × shares.
    public var effectivePriceVolume: Int128 {
        get { Int128(priceVolumeHigh) << 64 | Int128(priceVolumeLow) }
        set {
            priceVolumeLow = UInt64(truncatingIfNeeded: newValue)
            priceVolumeHigh = Int64(truncatingIfNeeded: newValue >> 64)
        }
    }

    /// Adds `high · 2^64 + low` (two's complement) to the price·volume sum.
    @inlinable
    mutating func addPriceVolume(high: Int64, low: UInt64) {
        let (sum, carry) = priceVolumeLow.addingReportingOverflow(low)
        priceVolumeLow = sum
        // Safe: the total is below 2^100 for any input SPEC §1.1 allows.
        priceVolumeHigh = priceVolumeHigh &+ high &+ (carry ? 1 : 0)
    }

    /// The price·volume sum when it fits an `Int64` (every realistic window), else nil.
    @inlinable
    var priceVolumeInt64: Int64? {
        let low = Int64(bitPattern: priceVolumeLow)
        return priceVolumeHigh == (low < 0 ? -1 : 0) ? low : nil
    }

    /// The sums of two disjoint runs of prints together.
    public static func + (a: RWVAPSums, b: RWVAPSums) -> RWVAPSums {
        var s = a
        s.addPriceVolume(high: b.priceVolumeHigh, low: b.priceVolumeLow)
        s.effectiveVolume += b.effectiveVolume
        s.effectiveCount += b.effectiveCount
        s.excludedCount += b.excludedCount
        s.excludedVolume += b.excludedVolume
        return s
    }
}

/// Exact sums over one run of prints, split by RWVAP effectiveness (SPEC §7).
///
/// The kernels cut a symbol's history at every window start and sum each piece once; a window
/// is then the sum of the pieces it covers, so every print is read once for all ten windows.
public struct SegmentSums: Sendable, Equatable {
    /// Σ size over all prints (GRPAN `real_lot_count`).
    public var volume: Int64 = 0
    /// The RWVAP sums of the run.
    public var rwvap = RWVAPSums()

    /// Zero sums: an empty run.
    public init() {}

    /// The sums of two disjoint runs of prints together.
    public static func + (a: SegmentSums, b: SegmentSums) -> SegmentSums {
        var s = SegmentSums()
        s.volume = a.volume + b.volume
        s.rwvap = a.rwvap + b.rwvap
        return s
    }
}

extension MetricsAssembly {
    /// `extreme_threshold` as the largest effective size, exact (SPEC §7): sizes above it are excluded.
    public static func effectiveSizeLimit(avgADV: ExactDecimal?, rules: Rules) -> Int64 {
        guard let avgADV else { return Int64.max }
        return avgADV.flooredProduct(with: rules.extremeMultiplier)
    }

    /// An RWVAP window's numbers from its exact sums (SPEC §7): status, then `rwvap` and
    /// `deviation_vs_last` each from one exact division.
    ///
    /// - Parameters:
    ///   - s: the window's sums.
    ///   - lastPrice: the history's last price in ticks; nil when the history is empty.
    ///   - avgADV: the symbol's `avg_adv`; nil when unknown.
    ///   - rules: `rwvapMinPrints` and `extremeMultiplier` come from here.
    public static func rwvapWindow(_ s: RWVAPSums, lastPrice: Int64?, avgADV: ExactDecimal?, rules: Rules)
        -> RWVAPWindowMetrics
    {
        rwvapWindow(
            s, lastPrice: lastPrice, reported: RWVAPReported(avgADV: avgADV, multiplier: rules.extremeMultiplier),
            rules: rules)
    }

    /// `rwvapWindow` with the symbol's reported `avg_adv` and threshold converted once for its
    /// three windows.
    static func rwvapWindow(_ s: RWVAPSums, lastPrice: Int64?, reported: RWVAPReported, rules: Rules)
        -> RWVAPWindowMetrics
    {
        let allVolume = s.effectiveVolume + s.excludedVolume
        let ratio = allVolume == 0 ? 0 : Double(s.excludedVolume) / Double(allVolume)
        var rwvap: Double? = nil
        var deviation: Double? = nil
        let status: RWVAPStatus
        if s.effectiveCount >= rules.rwvapMinPrints {
            status = .ok
            (rwvap, deviation) = rwvapValue(s, lastPrice: lastPrice)
        } else {
            status = s.effectiveCount > 0 ? .collecting : .insufficientData
        }
        return RWVAPWindowMetrics(
            rwvap: rwvap, status: status, totalVolume: s.effectiveVolume,
            effectivePrintCount: s.effectiveCount, excludedPrintCount: s.excludedCount,
            excludedVolume: s.excludedVolume, excludedVolumeRatio: ratio, deviationVsLast: deviation,
            avgADV: reported.avgADV, extremeThreshold: reported.extremeThreshold)
    }

    /// `rwvap` and `deviation_vs_last` in dollars: one exact division, then rounding to double.
    /// Realistic sums fit 64 bits and take the concrete path; the Int128 path gives the same
    /// doubles for any value (both round exact integers once).
    @inlinable
    static func rwvapValue(_ s: RWVAPSums, lastPrice: Int64?) -> (Double, Double?) {
        let volume = s.effectiveVolume
        if let num = s.priceVolumeInt64 {
            let (q, r) = num.quotientAndRemainder(dividingBy: volume)
            let value = (Double(q) + Double(r) / Double(volume)) / ticksPerDollar
            guard let lastPrice else { return (value, nil) }
            let (scaled, o1) = lastPrice.multipliedReportingOverflow(by: volume)
            let (numerator, o2) = scaled.subtractingReportingOverflow(num)
            if !o1 && !o2 { return (value, Double(numerator) / Double(volume) / ticksPerDollar) }
        }
        return rwvapValueWide(s, lastPrice: lastPrice)
    }

    @usableFromInline @inline(never)
    static func rwvapValueWide(_ s: RWVAPSums, lastPrice: Int64?) -> (Double, Double?) {
        let den = Int128(s.effectiveVolume)
        let (q, r) = s.effectivePriceVolume.quotientAndRemainder(dividingBy: den)
        let value = (Double(q) + Double(r) / Double(den)) / ticksPerDollar
        guard let lastPrice else { return (value, nil) }
        let numerator = Int128(lastPrice) * den - s.effectivePriceVolume
        return (value, Double(numerator) / Double(den) / ticksPerDollar)
    }
}
