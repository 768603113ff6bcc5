/// Scratch memory for the fast kernels, reused across symbols: one per thread.
///
/// `analyzeSymbol` allocates nothing once the workspace has grown to the widest symbol it has
/// seen (detail mode's `top_prices` aside). The scratch is noncopyable and frees itself when the
/// workspace goes.
public final class KernelWorkspace {
    private var histogram = _GRPANHistogram()
    private let srpan = _SRPANAccumulator()
    /// Widest price span (in ticks) handled by the dense histograms: $209.7152. A wider symbol
    /// (a print at $99,999 beside $25 prints) takes the reference path instead.
    public static let maxDenseSpan = 1 << 21

    /// How many symbols this workspace handed to the reference path because their GRPAN price
    /// span exceeded `maxDenseSpan`: the tests' proof that the fast path computed what they compare.
    private(set) var referenceFallbacks = 0

    /// An empty workspace; its scratch grows with the first symbols it computes.
    public init() {}

    /// Every metric of SPEC §5–§9 for one symbol; equal to `ReferenceKernels.analyzeSymbol`.
    ///
    /// - Parameters:
    ///   - columns: the print columns.
    ///   - range: the symbol's slice of `columns` (eligible prints in print order).
    ///   - avgADV: the symbol's `avg_adv`; nil when unknown (then nothing is excluded from RWVAP).
    ///   - asOf: "now" (SPEC §4); `.last` resolves to the time of the symbol's last print.
    ///   - parameters: rules, calendar and whether to produce `top_prices`.
    ///   - kernels: which kernels to run; the others' metrics stay empty (benchmarks time one
    ///     kernel at a time this way).
    public func analyzeSymbol(
        _ columns: PrintColumns, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters, kernels: KernelSet = .all
    ) -> SymbolMetrics {
        var metrics = SymbolMetrics.unset
        analyzeSymbol(
            columns, range: range, avgADV: avgADV, asOf: asOf, parameters: parameters, kernels: kernels,
            into: &metrics)
        return metrics
    }

    /// `analyzeSymbol(_:range:avgADV:asOf:parameters:kernels:)` written over `metrics` in place:
    /// the batch engine passes its result slot, so the 1.1 KB of metrics are built where they
    /// stay rather than copied out through the column closures.
    ///
    /// - Parameters:
    ///   - columns: the print columns.
    ///   - range: the symbol's slice of `columns` (eligible prints in print order).
    ///   - avgADV: the symbol's `avg_adv`; nil when unknown (then nothing is excluded from RWVAP).
    ///   - asOf: "now" (SPEC §4); `.last` resolves to the time of the symbol's last print.
    ///   - parameters: rules, calendar and whether to produce `top_prices`.
    ///   - kernels: which kernels to run; the others' metrics stay empty.
    ///   - metrics: overwritten whole with the symbol's metrics (what it held before is ignored).
    public func analyzeSymbol(
        _ columns: PrintColumns, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters, kernels: KernelSet = .all, into metrics: inout SymbolMetrics
    ) {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns.count)
        columns.time.withUnsafeBufferPointer { time in
            columns.price.withUnsafeBufferPointer { price in
                columns.size.withUnsafeBufferPointer { size in
                    columns.weight.withUnsafeBufferPointer { weight in
                        analyzeUnsafe(
                            time: time.baseAddress!, price: price.baseAddress!, size: size.baseAddress!,
                            weight: weight.baseAddress!, range: range, avgADV: avgADV, asOf: asOf,
                            parameters: parameters, kernels: kernels, columns: columns, into: &metrics)
                    }
                }
            }
        }
    }

    /// First index in `lo..<hi` with `time[i] >= t` (or `hi`).
    ///
    /// Branch-free: each step halves the interval with a conditional move, so the ten searches
    /// of a symbol cost no mispredictions (a branchy search mispredicts about half its steps).
    /// Invariant: the answer lies in `base...base + n`.
    ///
    /// - Precondition: `time[lo..<hi]` is readable and ascending.
    @inlinable
    static func lowerBound(_ time: UnsafePointer<Int64>, _ lo: Int, _ hi: Int, _ t: Int64) -> Int {
        var base = lo
        var n = hi &- lo
        while n > 1 {
            let half = n >> 1
            // Safe: base + half - 1 < base + n ≤ hi.
            base = time[base &+ half &- 1] < t ? base &+ half : base
            n &-= half
        }
        if n == 1 && time[base] < t { base &+= 1 }
        return base
    }

    /// The calendar day index of the previous symbol's as-of: the next symbol's usually matches.
    private var calendarHint = -1

    /// The whole per-symbol computation over raw column pointers.
    ///
    /// - Precondition: the pointers cover `range`; times in `range` ascend.
    @usableFromInline
    func analyzeUnsafe(
        time: UnsafePointer<Int64>, price: UnsafePointer<Int64>, size: UnsafePointer<Int32>,
        weight: UnsafePointer<Int32>, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters, kernels: KernelSet, columns: PrintColumns,
        into out: inout SymbolMetrics
    ) {
        let rules = parameters.rules
        let calendar = parameters.calendar
        let limit = MetricsAssembly.effectiveSizeLimit(avgADV: avgADV, rules: rules)

        // History (SPEC §4–§5): a suffix-capped prefix of the symbol's prints.
        let now: Int64
        let end: Int
        switch asOf {
        case .last:
            guard !range.isEmpty else {
                out = .noHistory(avgADV: avgADV, rules: rules, detail: parameters.detail)
                return
            }
            end = range.upperBound
            now = time[end - 1]
        case .instant(let t):
            now = t
            end = Self.lowerBound(time, range.lowerBound, range.upperBound, t &+ 1)
        }
        var start = range.lowerBound
        if rules.historyCap > 0 { start = max(start, end - rules.historyCap) }
        guard start < end else {
            out = .noHistory(avgADV: avgADV, rules: rules, detail: parameters.detail)
            return
        }
        let lastPrice = price[end - 1]

        // Every window's start: the first index of its suffix of history. One calendar lookup
        // (the anchor day of `now`) serves every trading-day window.
        let anchor = calendar.lastOpenIndex(atOrBefore: now, hint: &calendarHint)
        var starts = _WindowSlots<Int>(repeating: end)
        for w in GRPANWindow.all {
            starts[w] =
                switch w.length(rules) {
                case .prints(let n): max(start, end - n)
                case .minutes(let minutes):
                    Self.lowerBound(time, start, end, Self.instant(minutes: minutes, before: now))
                case .tradingDays(let days):
                    Self.lowerBound(time, start, end, calendar.windowStart(tradingDays: days, anchorIndex: anchor))
                }
        }
        for w in RWVAPWindow.all {
            let days = w.tradingDays(rules)
            // pan_1d / pan_3d share their calendar lookups with rwvap_1d / rwvap_3d by default.
            if let same = GRPANWindow.all.first(where: { $0.length(rules) == .tradingDays(days) }) {
                starts[w] = starts[same]
            } else {
                starts[w] = Self.lowerBound(time, start, end, calendar.windowStart(tradingDays: days, anchorIndex: anchor))
            }
        }

        // GRPAN modes: one backward sweep over the widest GRPAN window meets every window's
        // start, latest first.
        var sweepOrder = InlineArray<7, GRPANWindow>(repeating: .latestPan)
        for w in GRPANWindow.all { sweepOrder[w.rawValue] = w }
        Self.sortLatestFirst(&sweepOrder) { starts[$0] }
        let sweepStart = kernels.contains(.grpan) ? starts[sweepOrder[GRPANWindow.count - 1]] : end
        var (lowest, highest) = Self.priceBoundsUnsafe(price, sweepStart..<end)
        var width = sweepStart < end ? Int(highest - lowest) + 1 : 1
        if width > Self.maxDenseSpan {
            // The lane bounds may overshoot by a few ticks: only the exact span sends a symbol away.
            (lowest, highest) = Self.priceBoundsWide(price, sweepStart..<end)
            width = Int(highest - lowest) + 1
        }
        guard width <= Self.maxDenseSpan else {
            out = fallBackToReference(columns, range, avgADV, asOf, parameters)
            return
        }
        if width > histogram.capacity { histogram.grow(to: width) }
        var sweepStarts = InlineArray<7, Int>(repeating: 0)
        for k in sweepOrder.indices { sweepStarts[k] = starts[sweepOrder[k]] }
        var sweepModes = InlineArray<7, Int64?>(repeating: nil)
        if kernels.contains(.grpan) {
            histogram.sweepUnsafe(
                price: price, weight: weight, end: end, base: lowest, width: width, starts: sweepStarts,
                into: &sweepModes)
        }

        // Volumes: cut history at the start of every window the kernels need, sum each piece
        // between consecutive cuts once, and give each window the running total from its start.
        var cuts = starts
        if !kernels.contains(.grpan) { for w in GRPANWindow.all { cuts[w] = end } }
        if !kernels.contains(.rwvap) { for w in RWVAPWindow.all { cuts[w] = end } }
        var cutOrder = _WindowSlots<Int>.slotOrder
        Self.sortLatestFirst(&cutOrder) { cuts[slot: $0] }
        var sums = _WindowSlots<SegmentSums>(repeating: SegmentSums())
        var running = SegmentSums()
        var upper = end
        for k in cutOrder.indices {
            let slot = cutOrder[k]
            let lower = cuts[slot: slot]
            if lower < upper {
                let piece = SegmentSums.sumUnsafe(price: price, size: size, range: lower..<upper, effectiveSizeLimit: limit)
                running = running + piece
                upper = lower
            }
            sums[slot: slot] = running
        }

        // Every field of `out` is assigned below, each window in its slot, so nothing is built
        // elsewhere and copied in. Windows nest (latest first), and most share their mode with
        // the next narrower one: then the band count only extends the narrower window's count
        // over the prints between the two starts.
        var bandCenter: Int64? = nil
        var bandFrom = end
        var band = 0
        for k in sweepOrder.indices {
            guard kernels.contains(.grpan) else {
                out.grpan[k] = .empty
                continue
            }
            let w = sweepOrder[k]
            let s = starts[w]
            if let mode = sweepModes[k] {
                if mode != bandCenter {
                    bandCenter = mode
                    bandFrom = end
                    band = 0
                }
                band += _GRPANHistogram.bandCountUnsafe(
                    price: price, range: s..<bandFrom, center: mode, band: rules.concentrationRangeTicks)
                bandFrom = s
            }
            out.grpan[w.rawValue] = MetricsAssembly.grpanWindow(
                mode: sweepModes[k], printCount: end - s, realLotCount: sums[w].volume,
                bandCount: sweepModes[k] == nil ? 0 : band)
        }
        MetricsAssembly.linkGRPANDeviations(&out.grpan, lastPrice: lastPrice)
        let reported = RWVAPReported(avgADV: avgADV, multiplier: rules.extremeMultiplier)
        for w in RWVAPWindow.all {
            out.rwvap[w.rawValue] = MetricsAssembly.rwvapWindow(
                kernels.contains(.rwvap) && starts[w] < end ? sums[w].rwvap : RWVAPSums(),
                lastPrice: lastPrice, reported: reported, rules: rules)
        }
        let candidates = max(start, end - rules.srpanCandidates)..<end
        out.srpan = kernels.contains(.srpan)
            ? MetricsAssembly.srpan(srpan.aggregates(price: price, size: size, range: candidates, rules: rules), rules: rules)
            : .empty
        out.asOf = now
        out.lastPrice = lastPrice
        out.tickCount = end - start
        out.god = MetricsAssembly.god(out.grpan, lastPrice: lastPrice)
        out.rod = MetricsAssembly.rod(out.rwvap, lastPrice: lastPrice)
        out.topPrices = parameters.detail && kernels.contains(.grpan) ? detailTopPrices(columns, starts: starts, end: end) : nil
    }

    /// Detail mode's `top_prices` of every GRPAN window (allocates: detail mode only).
    @inline(never)
    private func detailTopPrices(_ columns: PrintColumns, starts: _WindowSlots<Int>, end: Int) -> [[PriceWeight]] {
        GRPANWindow.allCases.map {
            ReferenceKernels.topPrices(columns, window: starts[$0]..<end, limit: ReferenceKernels.topPricesLimit)
        }
    }

    /// A symbol whose GRPAN window spans more than `maxDenseSpan` ticks: too wide for the dense
    /// histogram, so the reference computes it (rare: a bad print far from the rest).
    @inline(never)
    private func fallBackToReference(
        _ columns: PrintColumns, _ range: Range<Int>, _ avgADV: ExactDecimal?, _ asOf: AsOf,
        _ parameters: AnalysisParameters
    ) -> SymbolMetrics {
        referenceFallbacks += 1
        return ReferenceKernels.analyzeSymbol(columns, range: range, avgADV: avgADV, asOf: asOf, parameters: parameters)
    }

    /// Bounds that hold every one of `price[range]`, each at most `2 · priceBoundsSlack` ticks
    /// beyond the true lowest and highest price (`(Int64.max, Int64.min)` when empty).
    ///
    /// The GRPAN histogram needs a base at or below every price and a width that covers them,
    /// not the exact extremes, and the exact ones are dear in SSE2: it has no 64-bit compare and
    /// no 32-bit integer min or max. So eight prices at a time go through `Float` lanes, where
    /// `minps`/`maxps` take four at once. A price below 2^31 converts with an error of at most 64
    /// (a 24-bit significand), so widening the `Float` extremes by that slack holds every price,
    /// and overshoots by at most twice it. The tail runs exactly in `Int32`. Should
    /// any price lie outside `0..<2^31` (none is ever parsed), the exact 64-bit twin
    /// `priceBoundsWide` answers instead.
    ///
    /// - Precondition: `range` lies within the buffer.
    @inline(__always)
    static func priceBoundsUnsafe(_ price: UnsafePointer<Int64>, _ range: Range<Int>) -> (Int64, Int64) {
        var i = range.lowerBound
        // Eight prices as sixteen 32-bit halves: the even lanes are the low halves (x86 is
        // little-endian), the odd lanes the high halves, zero for any price in 0..<2^32.
        var bitLanes = SIMD16<Int32>(repeating: 0)
        var lowLanes = SIMD8<Float>(repeating: .infinity)
        var highLanes = SIMD8<Float>(repeating: -.infinity)
        let raw = UnsafeRawPointer(price)
        while range.upperBound &- i >= 8 {
            // Safe: i + 8 ≤ range.upperBound, inside the buffer.
            let halves = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD16<Int32>.self)
            bitLanes |= halves
            let f = SIMD8<Float>(halves.evenHalf)
            lowLanes = lowLanes.replacing(with: f, where: f .< lowLanes)
            highLanes = highLanes.replacing(with: f, where: f .> highLanes)
            i &+= 8
        }
        let vectorized = i > range.lowerBound
        var lowest = Int32.max
        var highest = Int32.min
        // A high half not zero, or a low half's top bit set: that price is not in 0..<2^31.
        let outside = bitLanes.oddHalf | (bitLanes.evenHalf & SIMD8(repeating: Int32.min))
        var bits: Int64 = outside == .zero ? 0 : -1
        while i < range.upperBound {
            let p = price[i]
            bits |= p
            let p32 = Int32(truncatingIfNeeded: p)
            lowest = min(lowest, p32)
            highest = max(highest, p32)
            i &+= 1
        }
        // Some price negative or ≥ 2^31: its Int32 was not the price.
        if bits >> 31 != 0 { return priceBoundsWide(price, range) }
        if range.isEmpty { return (Int64.max, Int64.min) }
        var low = Int64(lowest)
        var high = Int64(highest)
        if vectorized {
            // Finite: at least one block went through the lanes. Both within 0..<2^31 + 64.
            let l = lowLanes.lowHalf.replacing(with: lowLanes.highHalf, where: lowLanes.highHalf .< lowLanes.lowHalf)
            let h = highLanes.lowHalf.replacing(with: highLanes.highHalf, where: highLanes.highHalf .> highLanes.lowHalf)
            low = min(low, max(0, Int64(min(min(l[0], l[1]), min(l[2], l[3]))) &- priceBoundsSlack))
            high = max(high, Int64(max(max(h[0], h[1]), max(h[2], h[3]))) &+ priceBoundsSlack)
        }
        return (low, high)
    }

    /// The largest error of converting an `Int32` below 2^31 to `Float`, in ticks (half of its
    /// 128-tick spacing there): `priceBoundsUnsafe` widens its lane extremes by it.
    static let priceBoundsSlack: Int64 = 64

    /// `priceBoundsUnsafe` in 64 bits, for prices outside `Int32`.
    @inline(never)
    static func priceBoundsWide(_ price: UnsafePointer<Int64>, _ range: Range<Int>) -> (Int64, Int64) {
        var lowest = Int64.max
        var highest = Int64.min
        for i in range {
            lowest = min(lowest, price[i])
            highest = max(highest, price[i])
        }
        return (lowest, highest)
    }

    /// `now` minus `minutes`, or `Int64.min` when that is before every representable instant.
    @inline(__always)
    static func instant(minutes: Int, before now: Int64) -> Int64 {
        let (from, overflow) = now.subtractingReportingOverflow(Int64(minutes) * Nanos.perMinute)
        return overflow ? Int64.min : from
    }

    /// Insertion sort by `start`, largest first; ties keep their order. For a handful of items.
    @inline(__always)
    static func sortLatestFirst<let n: Int, Item>(_ items: inout InlineArray<n, Item>, start: (Item) -> Int) {
        for i in 1..<n {
            let x = items[i]
            var j = i
            while j > 0 && start(items[j - 1]) < start(x) {
                items[j] = items[j - 1]
                j -= 1
            }
            items[j] = x
        }
    }
}

/// One value per window of both metrics, named by window: GRPAN's seven slots, then RWVAP's
/// three. The volume pass cuts history at every window start of both, so their starts and sums
/// sit side by side.
struct _WindowSlots<Value> {
    /// `GRPANWindow.count + RWVAPWindow.count`, spelled as the literal `InlineArray` needs (a test
    /// holds the two equal).
    static var count: Int { 10 }

    private var values: InlineArray<10, Value>

    init(repeating value: Value) { values = InlineArray(repeating: value) }

    /// Every slot, in slot order.
    static var slotOrder: InlineArray<10, Int> { InlineArray { $0 } }

    subscript(_ w: GRPANWindow) -> Value {
        get { values[w.rawValue] }
        set { values[w.rawValue] = newValue }
    }

    subscript(_ w: RWVAPWindow) -> Value {
        get { values[GRPANWindow.count + w.rawValue] }
        set { values[GRPANWindow.count + w.rawValue] = newValue }
    }

    /// A slot by number, for walking every window of both metrics in some order.
    subscript(slot slot: Int) -> Value {
        get { values[slot] }
        set { values[slot] = newValue }
    }
}

/// Which kernels `KernelWorkspace.analyzeSymbol` runs.
public struct KernelSet: OptionSet, Sendable {
    /// One bit per kernel.
    public let rawValue: UInt8
    /// The set whose bits are `rawValue`.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The 7 GRPAN windows (and so GOD).
    public static let grpan = KernelSet(rawValue: 1)
    /// The 3 RWVAP windows (and so ROD).
    public static let rwvap = KernelSet(rawValue: 2)
    /// SRPAN.
    public static let srpan = KernelSet(rawValue: 4)
    /// Every kernel: what the engine runs.
    public static let all: KernelSet = [.grpan, .rwvap, .srpan]
}
