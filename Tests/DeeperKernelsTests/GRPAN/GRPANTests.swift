@testable import DeeperKernels
import PropertyBased
import Testing

/// GRPAN's fast pieces against their plain twins in `GRPAN+Reference.swift`.
@Suite struct GRPANTests {
    /// One backward sweep yields the weighted mode of every suffix (ties to the earliest first
    /// print), equal to `ReferenceKernels.weightedMode`, and leaves the histogram clean: a second
    /// sweep over other prints in the same histogram gives their own modes.
    @Test func sweepEqualsWeightedModeOfEverySuffix() async {
        await propertyCheck(count: 300, input: Gen.uint64(), Gen.int(in: 1...200)) { seed, count in
            var rng = SplitMix64(seed: seed)
            var histogram = _GRPANHistogram()
            for round in 0..<2 {
                // A narrow grid (ties are common), with now and then a print far off.
                let base = Int64(rng.next() % 250_000) + 1
                let price = (0..<count).map { _ in
                    rng.next() % 20 == 0 ? base + Int64(rng.next() % 100_000) : base + Int64(rng.next() % 8) * 100
                }
                let weight = (0..<count).map { _ in [Int32(1000), 400, 200][Int(rng.next() % 3)] }
                let c = columns(price: price, size: [Int32](repeating: 100, count: count), weight: weight)
                var starts = InlineArray<7, Int>(repeating: 0)
                let drawn = (0..<7).map { _ in Int(rng.next() % UInt64(count + 1)) }.sorted(by: >)
                for k in 0..<7 { starts[k] = drawn[k] }
                let lowest = price.min()!
                let width = Int(price.max()! - lowest) + 1
                if width > histogram.capacity { histogram.grow(to: width) }
                var modes = InlineArray<7, Int64?>(repeating: nil)
                price.withUnsafeBufferPointer { p in
                    weight.withUnsafeBufferPointer { w in
                        histogram.sweepUnsafe(
                            price: p.baseAddress!, weight: w.baseAddress!, end: count, base: lowest, width: width,
                            starts: starts, into: &modes)
                    }
                }
                for k in 0..<7 {
                    let expected = ReferenceKernels.weightedMode(c, window: starts[k]..<count)
                    #expect(modes[k] == expected, "seed \(seed) round \(round) suffix \(starts[k])..<\(count)")
                }
            }
        }
    }

    /// The SIMD band count against its plain twin: every length 0…40 (both sides of the 8-lane
    /// width), unaligned starts, bands of 0 and beyond the data (on both sides of the 32-bit
    /// lanes' limit, so both twins run), centers at the edges.
    @Test func simdBandCountEqualsReference() {
        var rng = SplitMix64(seed: 7)
        let prices = (0..<64).map { _ in Int64(rng.next() % 2000) + 249_000 }
        for lower in 0..<5 {
            for count in 0...40 where lower + count <= prices.count {
                for band: Int64 in [0, 1, 100, 400, 5000, 1 << 28, (1 << 28) + 1, 1 << 40] {
                    let center = prices[(lower + count / 2) % prices.count]
                    let expected = ReferenceKernels.bandCount(prices[lower..<lower + count], center: center, band: band)
                    let actual = prices.withUnsafeBufferPointer {
                        _GRPANHistogram.bandCountUnsafe(
                            price: $0.baseAddress!, range: lower..<lower + count, center: center, band: band)
                    }
                    #expect(actual == expected, "lower \(lower) count \(count) band \(band)")
                }
            }
        }
    }

    /// The window names the kernels loop over are SPEC's, in order, and their counts are the
    /// literals the fixed-size arrays are spelled with.
    @Test func windowNamesAndCounts() {
        #expect(Array(GRPANWindow.all) == GRPANWindow.allCases)
        #expect(GRPANWindow.count == GRPANWindow.allCases.count)
        #expect(Array(RWVAPWindow.all) == RWVAPWindow.allCases)
        #expect(RWVAPWindow.count == RWVAPWindow.allCases.count)
        #expect(_WindowSlots<Int>.count == GRPANWindow.count + RWVAPWindow.count)
        let rules = Rules.default
        #expect(
            GRPANWindow.allCases.map { $0.length(rules) } == [
                .prints(15), .minutes(10), .minutes(30), .minutes(60), .minutes(180), .tradingDays(1),
                .tradingDays(3),
            ])
        #expect(RWVAPWindow.allCases.map { $0.tradingDays(rules) } == [1, 3, 5])
        // Every slot is one window's, and no two windows share one.
        var slots = _WindowSlots<String>(repeating: "")
        for w in GRPANWindow.allCases { slots[w] = w.name }
        for w in RWVAPWindow.allCases { slots[w] = w.name }
        let names = (0..<_WindowSlots<String>.count).map { slots[slot: $0] }
        #expect(names == GRPANWindow.allCases.map(\.name) + RWVAPWindow.allCases.map(\.name))
    }
}
