@testable import DeeperKernels
import PropertyBased
import Testing

/// The fast kernels must equal the reference, exactly, on inputs built to hit the hard cases:
/// ties, sub-penny prices, far-off prints, equal timestamps, huge sizes, times exactly on window
/// boundaries, history caps, as-of instants before, inside and after the data, holiday and DST
/// weeks. Every case is one the fast path computes itself (it never hands it to the reference).
@Suite struct FastKernelPropertyTests {
    @Test func fastEqualsReferenceOnRandomSymbols() async {
        await propertyCheck(count: 300, input: Gen.uint64(), Gen.int(in: 0...260)) { seed, count in
            let scenario = RandomScenario(seed: seed, count: count)
            let workspace = KernelWorkspace()
            let fast = workspace.analyzeSymbol(
                scenario.store.columns, range: scenario.range, avgADV: scenario.avgADV, asOf: scenario.asOf,
                parameters: scenario.parameters)
            let reference = ReferenceKernels.analyzeSymbol(
                scenario.store.columns, range: scenario.range, avgADV: scenario.avgADV, asOf: scenario.asOf,
                parameters: scenario.parameters)
            #expect(workspace.referenceFallbacks == 0, "seed \(seed), count \(count): fell back to the reference")
            #expect(fast == reference, "seed \(seed), count \(count), asOf \(scenario.asOf)")
        }
    }

    /// A GRPAN price span wider than the dense histogram is the one case the fast path hands to
    /// the reference: exactly at `maxDenseSpan` ticks it still computes, one tick more it falls
    /// back, and either way the answer is the reference's.
    @Test(arguments: [
        (width: KernelWorkspace.maxDenseSpan, fallsBack: false),
        (width: KernelWorkspace.maxDenseSpan + 1, fallsBack: true),
        (width: 999_999_999, fallsBack: true),
    ])
    func fastPathHandsOnlyTooWideASpanToTheReference(width: Int, fallsBack: Bool) {
        let top = Int64(999_999_999)
        var prints = [TestPrint(instant("2025-03-14T14:00:00Z"), "0.0001", 500)]
        prints[0].price = top - Int64(width) + 1
        prints += printRun(from: "2025-03-14T14:00:01Z", count: 40, "99999.9999", 300)
        let store = makeStore([("WIDE", prints)])
        let parameters = AnalysisParameters(detail: true)
        let workspace = KernelWorkspace()
        let fast = workspace.analyzeSymbol(
            store.columns, range: store.range(ofSymbol: 0), avgADV: nil, asOf: .last, parameters: parameters)
        let reference = ReferenceKernels.analyzeSymbol(
            store.columns, range: store.range(ofSymbol: 0), avgADV: nil, asOf: .last, parameters: parameters)
        #expect(workspace.referenceFallbacks == (fallsBack ? 1 : 0))
        #expect(fast == reference)
        #expect(fast[.pan3d].grpanPrice == top)
    }

    /// One workspace reused across many symbols (as the engine does) gives the same answers
    /// as a fresh one: the histograms really are left clean.
    @Test func reusedWorkspaceMatchesFreshOne() {
        let shared = KernelWorkspace()
        for seed in UInt64(1)...60 {
            let s = RandomScenario(seed: seed &* 7919, count: Int(seed % 50) * 5)
            let reused = shared.analyzeSymbol(
                s.store.columns, range: s.range, avgADV: s.avgADV, asOf: s.asOf, parameters: s.parameters)
            let fresh = KernelWorkspace().analyzeSymbol(
                s.store.columns, range: s.range, avgADV: s.avgADV, asOf: s.asOf, parameters: s.parameters)
            #expect(reused == fresh, "seed \(seed)")
        }
    }

    /// The batch engine on several threads, at every priority, returns what the single-symbol
    /// kernel returns.
    @Test(arguments: [1, 2, 3], ComputePriority.allCases)
    func batchEngineMatchesPerSymbolKernel(threads: Int, priority: ComputePriority) {
        let scenarios = (UInt64(1)...40).map { RandomScenario(seed: $0 &* 104_729, count: Int($0 % 9) * 20) }
        // Put all scenarios in one store, one symbol each.
        var prints: [RawPrint] = []
        var symbols: [String] = []
        for (i, s) in scenarios.enumerated() {
            symbols.append("S\(i)")
            for p in s.raw { prints.append(RawPrint(symbol: Int32(i), time: p.time, price: p.price, size: p.size, venue: p.venue)) }
        }
        let parameters = AnalysisParameters()
        let store = PrintStore(prints: prints, symbols: symbols, venues: RandomScenario.venues, rules: parameters.rules)
        var requests = scenarios.enumerated().map { SymbolRequest(storeIndex: $0.offset, avgADV: $0.element.avgADV) }
        requests.append(SymbolRequest(storeIndex: nil, avgADV: nil))  // a named symbol with no prints
        let results = BatchEngine(threads: threads, priority: priority).run(
            store: store, requests: requests, asOf: .last, parameters: parameters)
        #expect(results.count == requests.count)
        let workspace = KernelWorkspace()
        for (i, r) in requests.enumerated() {
            let expected = workspace.analyzeSymbol(
                store.columns, range: r.storeIndex.map { store.range(ofSymbol: $0) } ?? 0..<0, avgADV: r.avgADV,
                asOf: .last, parameters: parameters)
            #expect(results[i] == expected, "symbol \(i)")
        }
        #expect(results.last?.asOf == nil)
    }

    /// Computing in place (the engine's way) overwrites every field of the slot: a slot still
    /// holding another symbol's metrics, detail-mode `top_prices` included, ends up equal to the
    /// value the kernel returns, at every thread count, through `run(store:...into:)`.
    @Test(arguments: [1, 2, 3])
    func inPlaceComputationLeavesNothingOfTheSlotsPreviousMetrics(threads: Int) {
        let scenarios = (UInt64(1)...30).map { RandomScenario(seed: $0 &* 15_485_863, count: Int($0 % 7) * 25) }
        var prints: [RawPrint] = []
        for (i, s) in scenarios.enumerated() {
            for p in s.raw { prints.append(RawPrint(symbol: Int32(i), time: p.time, price: p.price, size: p.size, venue: p.venue)) }
        }
        let plain = AnalysisParameters()
        let detail = AnalysisParameters(detail: true)
        let store = PrintStore(
            prints: prints, symbols: scenarios.indices.map { "S\($0)" }, venues: RandomScenario.venues, rules: plain.rules)
        var requests = scenarios.enumerated().map { SymbolRequest(storeIndex: $0.offset, avgADV: $0.element.avgADV) }
        requests.append(SymbolRequest(storeIndex: nil, avgADV: nil))
        let engine = BatchEngine(threads: threads)
        // Every slot first holds another symbol's detail-mode metrics.
        var buffer = engine.run(store: store, requests: requests.reversed(), asOf: .last, parameters: detail)
        let previous = buffer
        #expect(previous.contains { $0.topPrices != nil && $0.tickCount > 0 })
        engine.run(store: store, requests: requests, asOf: .last, parameters: plain, into: &buffer)
        let workspace = KernelWorkspace()
        for (i, r) in requests.enumerated() {
            let range = r.storeIndex.map { store.range(ofSymbol: $0) } ?? 0..<0
            let expected = workspace.analyzeSymbol(store.columns, range: range, avgADV: r.avgADV, asOf: .last, parameters: plain)
            #expect(buffer[i] == expected, "symbol \(i), \(threads) thread(s)")
            #expect(buffer[i] == ReferenceKernels.analyzeSymbol(
                store.columns, range: range, avgADV: r.avgADV, asOf: .last, parameters: plain), "symbol \(i)")
            var slot = previous[(i + 7) % previous.count]
            workspace.analyzeSymbol(store.columns, range: range, avgADV: r.avgADV, asOf: .last, parameters: plain, into: &slot)
            #expect(slot == expected, "symbol \(i), single-symbol in place")
        }
    }
}

/// A deterministic random symbol history, built to stress window boundaries and ties.
struct RandomScenario {
    static let venues = ["", "FNRA", "NSDQ", "ARCA", "EDGX"]
    static let weeks = [
        CivilDate(year: 2025, month: 3, day: 10),  // DST starts the day before
        CivilDate(year: 2025, month: 11, day: 3),  // DST ended the day before
        CivilDate(year: 2025, month: 7, day: 1),  // Independence Day on Friday
        CivilDate(year: 2025, month: 12, day: 22),  // Christmas
        CivilDate(year: 2025, month: 4, day: 14),  // Good Friday
        CivilDate(year: 2025, month: 1, day: 6),  // 2025-01-09 closure
    ]

    var raw: [RawPrint] = []
    var store: PrintStore
    var range: Range<Int>
    var avgADV: ExactDecimal?
    var asOf: AsOf
    var parameters: AnalysisParameters

    init(seed: UInt64, count: Int) {
        var rng = SplitMix64(seed: seed)
        var rules = Rules()
        switch rng.next() % 6 {
        case 0: rules.historyCap = Int(rng.next() % 40) + 1
        case 1: rules.historyCap = 150
        case 2: rules.concentrationRangeTicks = Int64(rng.next() % 900)
        default: break
        }
        let parameters = AnalysisParameters(rules: rules, detail: rng.next() % 4 == 0)
        let calendar = parameters.calendar
        let week = Self.weeks[Int(rng.next() % UInt64(Self.weeks.count))]
        var t = calendar.openInstant(of: week) - Int64(rng.next() % 3) * Nanos.perDay
        var price = Int64(rng.next() % 250_000) + 100
        let wild = rng.next() % 10 == 0
        for _ in 0..<count {
            switch rng.next() % 10 {
            case 0: break  // equal timestamp
            case 1: t += Int64(rng.next() % 20) * Nanos.perHour + Int64(rng.next() % 3600) * Nanos.perSecond
            default: t += Int64(rng.next() % 600_000) * Nanos.perMillisecond
            }
            switch rng.next() % 8 {
            case 0: price += 100
            case 1: price -= 100
            case 2: price += Int64(rng.next() % 200) - 100  // sub-penny
            case 3: price += Int64(rng.next() % 5) * 500 - 1000
            default: break
            }
            price = max(1, price)
            var p = price
            // A far-off print (a bad print at $0.01 beside $25 prints, or one at $150): the walk
            // stays below $52, so the span stays inside the fast path's dense histogram.
            if wild && rng.next() % 30 == 0 { p = Int64(rng.next() % 1_500_000) + 1 }
            let size: Int32
            switch rng.next() % 9 {
            case 0: size = Int32(rng.next() % 40) + 1
            case 1, 2: size = 100
            case 3: size = 200
            case 4: size = Int32(rng.next() % 8 + 3) * 100
            case 5: size = rng.next() % 6 == 0 ? Int32.max : Int32(rng.next() % 100_000) + 1
            default: size = Int32(rng.next() % 2000) + 20
            }
            raw.append(RawPrint(symbol: 0, time: t, price: p, size: size, venue: UInt16(rng.next() % 5)))
        }
        // As of: last, or an instant chosen around the data.
        let maxTime = raw.map(\.time).max() ?? calendar.openInstant(of: week)
        let minTime = raw.map(\.time).min() ?? maxTime
        var asOfTime = maxTime
        switch rng.next() % 5 {
        case 0: asOf = .last
        case 1: asOfTime = maxTime + Int64(rng.next() % 4) * Nanos.perDay; asOf = .instant(asOfTime)
        case 2: asOfTime = minTime - Nanos.perSecond; asOf = .instant(asOfTime)
        default:
            let span = UInt64(max(1, maxTime - minTime))
            asOfTime = minTime + Int64(rng.next() % span)
            asOf = .instant(asOfTime)
        }
        // Move some prints exactly onto window boundaries (and one step either side).
        if !raw.isEmpty {
            var boundaries: [Int64] = rules.panMinutes.map { asOfTime - Int64($0) * Nanos.perMinute }
            for days in rules.panTradingDays + rules.rwvapTradingDays {
                boundaries.append(calendar.windowStart(tradingDays: days, at: asOfTime))
            }
            boundaries.append(asOfTime)
            for _ in 0..<min(raw.count, Int(rng.next() % 8)) {
                let i = Int(rng.next() % UInt64(raw.count))
                let b = boundaries[Int(rng.next() % UInt64(boundaries.count))]
                raw[i].time = b + Int64(rng.next() % 3) - 1
            }
        }
        self.avgADV = rng.next() % 3 == 0 ? nil : ExactDecimal(mantissa: Int64(rng.next() % 2_000_000) + 1, scale: Int(rng.next() % 3))
        self.parameters = parameters
        self.store = PrintStore(prints: raw, symbols: ["SYM"], venues: Self.venues, rules: rules)
        self.range = store.range(ofSymbol: 0)
    }
}

/// SplitMix64: a tiny deterministic generator for test inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
