/// Scratch memory for the fast kernels, reused across symbols: one per thread.
///
/// `analyzeSymbol` allocates nothing once the workspace has grown to the widest symbol it has
/// seen (detail mode's `top_prices` aside).
public final class KernelWorkspace {
    @usableFromInline var histogram = _GRPANHistogram()
    @usableFromInline var srpan = SRPANAccumulator()
    #if BLAS
    var blas = _BLASScratch()
    #endif
    /// Widest price span (in ticks) handled by the dense histograms; wider symbols (a bad print
    /// at $0.01 beside $25 prints) take the reference path instead.
    public static let maxDenseSpan = 1 << 21

    public init() {}

    deinit {
        histogram.deallocate()
        srpan.deallocate()
        #if BLAS
        blas.deallocate()
        #endif
    }

    /// Every metric of SPEC §5–§9 for one symbol; equal to `ReferenceKernels.analyzeSymbol`.
    ///
    /// - Parameters:
    ///   - range: the symbol's slice of `columns` (eligible prints in print order).
    ///   - kernels: which kernels to run; the others' metrics stay empty (benchmarks time one
    ///     kernel at a time this way).
    public func analyzeSymbol(
        _ columns: PrintColumns, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters, kernels: KernelSet = .all
    ) -> SymbolMetrics {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns.count)
        return columns.time.withUnsafeBufferPointer { time in
            columns.price.withUnsafeBufferPointer { price in
                columns.size.withUnsafeBufferPointer { size in
                    columns.weight.withUnsafeBufferPointer { weight in
                        analyzeUnsafe(
                            time: time.baseAddress!, price: price.baseAddress!, size: size.baseAddress!,
                            weight: weight.baseAddress!, range: range, avgADV: avgADV, asOf: asOf,
                            parameters: parameters, kernels: kernels, columns: columns)
                    }
                }
            }
        }
    }

    /// First index in `lo..<hi` with `time[i] >= t` (or `hi`).
    @inlinable
    static func lowerBound(_ time: UnsafePointer<Int64>, _ lo: Int, _ hi: Int, _ t: Int64) -> Int {
        var lo = lo
        var hi = hi
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if time[mid] < t { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    /// The whole per-symbol computation over raw column pointers.
    ///
    /// - Precondition: the pointers cover `range`; times in `range` ascend.
    @usableFromInline
    func analyzeUnsafe(
        time: UnsafePointer<Int64>, price: UnsafePointer<Int64>, size: UnsafePointer<Int32>,
        weight: UnsafePointer<Int32>, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters, kernels: KernelSet, columns: PrintColumns
    ) -> SymbolMetrics {
        let rules = parameters.rules
        let limit = MetricsAssembly.effectiveSizeLimit(avgADV: avgADV, rules: rules)

        // History (SPEC §4–§5): a suffix-capped prefix of the symbol's prints.
        let now: Int64
        let end: Int
        switch asOf {
        case .last:
            guard !range.isEmpty else { return .noHistory(avgADV: avgADV, rules: rules, detail: parameters.detail) }
            end = range.upperBound
            now = time[end - 1]
        case .instant(let t):
            now = t
            end = Self.lowerBound(time, range.lowerBound, range.upperBound, t &+ 1)
        }
        var start = range.lowerBound
        if rules.historyCap > 0 { start = max(start, end - rules.historyCap) }
        guard start < end else { return .noHistory(avgADV: avgADV, rules: rules, detail: parameters.detail) }
        let lastPrice = price[end - 1]

        // Window starts, each the first index of a suffix of history.
        var grpanStarts = InlineArray<7, Int>(repeating: end)
        grpanStarts[0] = max(start, end - rules.latestPanPrints)
        for k in 0..<4 {
            let (from, overflow) = now.subtractingReportingOverflow(Int64(rules.panMinutes[k]) * Nanos.perMinute)
            grpanStarts[1 + k] = Self.lowerBound(time, start, end, overflow ? Int64.min : from)
        }
        let calendar = parameters.calendar
        for k in 0..<2 {
            let from = calendar.windowStart(tradingDays: rules.panTradingDays[k], at: now)
            grpanStarts[5 + k] = Self.lowerBound(time, start, end, from)
        }
        var rwvapStarts = InlineArray<3, Int>(repeating: end)
        for k in 0..<3 {
            let days = rules.rwvapTradingDays[k]
            // pan_1d / pan_3d share their calendar lookups with rwvap_1d / rwvap_3d by default.
            if let j = (0..<2).first(where: { rules.panTradingDays[$0] == days }) {
                rwvapStarts[k] = grpanStarts[5 + j]
            } else {
                rwvapStarts[k] = Self.lowerBound(time, start, end, calendar.windowStart(tradingDays: days, at: now))
            }
        }

        // GRPAN modes: one backward sweep over the widest GRPAN window.
        var grpan = InlineArray<7, GRPANWindowMetrics>(repeating: .empty)
        var order = InlineArray<7, Int>(repeating: 0)  // window indices, largest start first
        for k in 0..<7 { order[k] = k }
        Self.sortDescending(&order, by: grpanStarts)
        let sweepStart = kernels.contains(.grpan) ? grpanStarts[order[6]] : end
        var lowest = Int64.max
        var highest = Int64.min
        for i in sweepStart..<end {
            lowest = min(lowest, price[i])
            highest = max(highest, price[i])
        }
        let width = sweepStart < end ? Int(highest - lowest) + 1 : 1
        guard width <= Self.maxDenseSpan else {
            return ReferenceKernels.analyzeSymbol(
                columns, range: range, avgADV: avgADV, asOf: asOf, parameters: parameters)
        }
        if width > histogram.capacity { histogram.grow(to: width) }
        var sortedStarts = InlineArray<7, Int>(repeating: 0)
        for k in 0..<7 { sortedStarts[k] = grpanStarts[order[k]] }
        var modes = InlineArray<7, Int64?>(repeating: nil)
        if kernels.contains(.grpan) {
            histogram.sweepUnsafe(
                price: price, weight: weight, end: end, base: lowest, width: width, starts: sortedStarts,
                into: &modes)
        }

        // Volumes: sum each piece between consecutive window starts once, then accumulate.
        var cuts = InlineArray<10, Int>(repeating: end)
        if kernels.contains(.grpan) { for k in 0..<7 { cuts[k] = grpanStarts[k] } }
        if kernels.contains(.rwvap) { for k in 0..<3 { cuts[7 + k] = rwvapStarts[k] } }
        var cutOrder = InlineArray<10, Int>(repeating: 0)
        for k in 0..<10 { cutOrder[k] = k }
        Self.sortDescending(&cutOrder, by: cuts)
        var sums = InlineArray<10, SegmentSums>(repeating: SegmentSums())
        var running = SegmentSums()
        var upper = end
        for k in 0..<10 {
            let c = cutOrder[k]
            let lower = cuts[c]
            if lower < upper {
                #if BLAS
                let piece = SegmentSums.sumBLAS(
                    price: price, size: size, range: lower..<upper, effectiveSizeLimit: limit, scratch: &blas)
                #else
                let piece = SegmentSums.sumUnsafe(price: price, size: size, range: lower..<upper, effectiveSizeLimit: limit)
                #endif
                running = running + piece
                upper = lower
            }
            sums[c] = running
        }

        for k in 0..<7 where kernels.contains(.grpan) {
            let w = order[k]
            let s = grpanStarts[w]
            let band = modes[k].map {
                _GRPANHistogram.bandCountUnsafe(
                    price: price, range: s..<end, center: $0, band: rules.concentrationRangeTicks)
            } ?? 0
            grpan[w] = MetricsAssembly.grpanWindow(
                mode: modes[k], printCount: end - s, realLotCount: sums[w].volume, bandCount: band)
            if parameters.detail {
                grpan[w].topPrices = ReferenceKernels.topPrices(
                    columns, window: s..<end, limit: ReferenceKernels.topPricesLimit)
            }
        }
        MetricsAssembly.linkGRPANDeviations(&grpan, lastPrice: lastPrice)
        let emptyRWVAP = MetricsAssembly.rwvapWindow(RWVAPSums(), lastPrice: lastPrice, avgADV: avgADV, rules: rules)
        var rwvap = InlineArray<3, RWVAPWindowMetrics>(repeating: emptyRWVAP)
        for k in 0..<3 where kernels.contains(.rwvap) && rwvapStarts[k] < end {
            rwvap[k] = MetricsAssembly.rwvapWindow(sums[7 + k].rwvap, lastPrice: lastPrice, avgADV: avgADV, rules: rules)
        }
        let candidates = max(start, end - rules.srpanCandidates)..<end
        let srpan = kernels.contains(.srpan)
            ? MetricsAssembly.srpan(srpan.aggregates(price: price, size: size, range: candidates, rules: rules), rules: rules)
            : .empty
        return SymbolMetrics(
            asOf: now, lastPrice: lastPrice, tickCount: end - start,
            god: MetricsAssembly.god(grpan, lastPrice: lastPrice),
            rod: MetricsAssembly.rod(rwvap, lastPrice: lastPrice), grpan: grpan, rwvap: rwvap, srpan: srpan)
    }

    /// Insertion sort of window indices by their start, largest first (ties keep index order).
    @inline(__always)
    static func sortDescending<let n: Int>(_ order: inout InlineArray<n, Int>, by key: InlineArray<n, Int>) {
        for i in 1..<n {
            let x = order[i]
            var j = i
            while j > 0 && key[order[j - 1]] < key[x] {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = x
        }
    }
}

/// Which kernels `KernelWorkspace.analyzeSymbol` runs.
public struct KernelSet: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The 7 GRPAN windows (and so GOD).
    public static let grpan = KernelSet(rawValue: 1)
    /// The 3 RWVAP windows (and so ROD).
    public static let rwvap = KernelSet(rawValue: 2)
    public static let srpan = KernelSet(rawValue: 4)
    public static let all: KernelSet = [.grpan, .rwvap, .srpan]
}

extension SymbolMetrics {
    /// A symbol with no history: nulls everywhere, RWVAP still reporting avg_adv (SPEC §10);
    /// in detail mode every window's `topPrices` is an empty list.
    public static func noHistory(avgADV: ExactDecimal?, rules: Rules, detail: Bool = false) -> SymbolMetrics {
        let rwvap = MetricsAssembly.rwvapWindow(RWVAPSums(), lastPrice: nil, avgADV: avgADV, rules: rules)
        var grpan = InlineArray<7, GRPANWindowMetrics>(repeating: .empty)
        if detail { for i in 0..<7 { grpan[i].topPrices = [] } }
        return SymbolMetrics(
            asOf: nil, lastPrice: nil, tickCount: 0, god: nil, rod: nil,
            grpan: grpan, rwvap: InlineArray(repeating: rwvap), srpan: .empty)
    }
}
