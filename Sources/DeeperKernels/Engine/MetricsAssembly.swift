/// Exact integer aggregates of one RWVAP window (SPEC §7), before the final division.
public struct RWVAPSums: Sendable, Equatable {
    /// Σ price·size over effective prints (ticks × shares) as a two's-complement 128-bit pair.
    /// Kept as two words rather than `Int128` so the hot path adds with plain 64-bit carries
    /// and never enters the generic `Int128` conversions.
    @usableFromInline var priceVolumeHigh: Int64 = 0
    @usableFromInline var priceVolumeLow: UInt64 = 0
    /// Σ size over effective prints.
    public var effectiveVolume: Int64 = 0
    public var effectiveCount: Int = 0
    public var excludedCount: Int = 0
    public var excludedVolume: Int64 = 0

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
        // Safe: the total is below 2^100 for any input SPEC allows.
        priceVolumeHigh = priceVolumeHigh &+ high &+ (carry ? 1 : 0)
    }

    /// The price·volume sum when it fits an `Int64` (every realistic window), else nil.
    @inlinable
    var priceVolumeInt64: Int64? {
        let low = Int64(bitPattern: priceVolumeLow)
        return priceVolumeHigh == (low < 0 ? -1 : 0) ? low : nil
    }

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

/// Integer aggregates of SRPAN (SPEC §9), all weights in thousandths, prices in cents.
public struct SRPANAggregates: Sendable, Equatable {
    public var g1Cents: Int64
    /// Σ V(c) for |c − G1| ≤ confidence band.
    public var g1BandWeight: Int64
    /// nil when no cent is far enough from G1.
    public var g2Cents: Int64?
    public var g2BandWeight: Int64
    /// T = Σ V.
    public var totalWeight: Int64

    public init(g1Cents: Int64, g1BandWeight: Int64, g2Cents: Int64?, g2BandWeight: Int64, totalWeight: Int64) {
        self.g1Cents = g1Cents
        self.g1BandWeight = g1BandWeight
        self.g2Cents = g2Cents
        self.g2BandWeight = g2BandWeight
        self.totalWeight = totalWeight
    }
}

/// Turns exact aggregates into the reported numbers. Both the reference and the fast kernels
/// end here, so the two agree to the last bit whenever their aggregates agree.
public enum MetricsAssembly {
    @usableFromInline static let ticksPerDollar = 10_000.0

    /// A GRPAN window from its mode and counts; deviations are filled by `linkGRPANDeviations`.
    @inlinable
    public static func grpanWindow(mode: Int64?, printCount: Int, realLotCount: Int64, bandCount: Int)
        -> GRPANWindowMetrics
    {
        guard let mode, printCount > 0 else { return .empty }
        return GRPANWindowMetrics(
            grpanPrice: mode, concentrationPercent: 100.0 * Double(bandCount) / Double(printCount),
            printCount: printCount, realLotCount: realLotCount, deviationVsLast: nil,
            deviationVsPrevWindow: nil, topPrices: nil)
    }

    /// Fills `deviation_vs_last` and `deviation_vs_prev_window` in window order.
    public static func linkGRPANDeviations(_ windows: inout InlineArray<7, GRPANWindowMetrics>, lastPrice: Int64?) {
        var previous: Int64? = nil
        for i in 0..<7 {
            guard let g = windows[i].grpanPrice else { continue }
            if let lastPrice { windows[i].deviationVsLast = lastPrice - g }
            if let previous { windows[i].deviationVsPrevWindow = g - previous }
            previous = g
        }
    }

    /// `extreme_threshold` as the largest effective size, exact (SPEC §7): sizes above it are excluded.
    public static func effectiveSizeLimit(avgADV: ExactDecimal?, rules: Rules) -> Int64 {
        guard let avgADV else { return Int64.max }
        return avgADV.flooredProduct(with: rules.extremeMultiplier)
    }

    public static func rwvapWindow(_ s: RWVAPSums, lastPrice: Int64?, avgADV: ExactDecimal?, rules: Rules)
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
            avgADV: avgADV?.doubleValue, extremeThreshold: avgADV?.productDouble(with: rules.extremeMultiplier))
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

    /// GOD (SPEC §8): last price minus the mean of the non-null GRPAN prices, latest_pan excluded.
    public static func god(_ windows: InlineArray<7, GRPANWindowMetrics>, lastPrice: Int64?) -> Double? {
        guard let lastPrice else { return nil }
        var sum: Int64 = 0
        var n: Int64 = 0
        for i in 1..<7 {
            if let g = windows[i].grpanPrice {
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
        for i in 0..<3 {
            if let r = windows[i].rwvap {
                sum += r
                n += 1
            }
        }
        guard n > 0 else { return nil }
        return Double(lastPrice) / ticksPerDollar - sum / n
    }

    /// SRPAN scores from its aggregates (nil aggregates = the empty result).
    public static func srpan(_ a: SRPANAggregates?, rules: Rules) -> SRPANMetrics {
        guard let a, a.totalWeight > 0 else { return .empty }
        var m = SRPANMetrics()
        m.grpan1 = a.g1Cents * 100
        m.grpan1Conf = 100.0 * Double(a.g1BandWeight) / Double(a.totalWeight)
        guard let g2 = a.g2Cents else { return m }
        m.grpan2 = g2 * 100
        m.grpan2Conf = 100.0 * Double(a.g2BandWeight) / Double(a.totalWeight)
        let spreadCents = abs(g2 - a.g1Cents)
        m.spread = Double(spreadCents) / 100.0
        m.direction = g2 > a.g1Cents ? .up : .down
        m.balanceScore = max(0, 100 - abs(m.grpan1Conf - m.grpan2Conf))
        m.totalScore = min(100, m.grpan1Conf + m.grpan2Conf)
        if spreadCents <= rules.srpanSpreadFloorCents {
            m.spreadScore = 0
        } else if spreadCents >= rules.srpanSpreadCapCents {
            m.spreadScore = 100
        } else {
            m.spreadScore = 100.0 * Double(spreadCents - rules.srpanSpreadFloorCents)
                / Double(rules.srpanSpreadCapCents - rules.srpanSpreadFloorCents)
        }
        m.srpanScore = rules.srpanBalanceWeight * m.balanceScore + rules.srpanTotalWeight * m.totalScore
            + rules.srpanSpreadWeight * m.spreadScore
        return m
    }
}

/// Fixed-capacity scratch for SRPAN's candidates (at most `capacity`).
public enum SRPANScratch {
    public static let capacity = 256
}
