@testable import DeeperKernels
import Testing

/// RWVAP's fast segment sums against the one reference, `ReferenceKernels.rwvapSums`.
@Suite struct RWVAPTests {
    @Test func segmentSumsUnsafeEqualsReference() {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<200 {
            let n = Int(rng.next() % 300)
            let prices = (0..<n).map { _ in Int64(rng.next() % 999_999_999) + 1 }
            let sizes = (0..<n).map { _ in
                rng.next() % 4 == 0 ? Int32.max : Int32(truncatingIfNeeded: rng.next() % 5000) + 1
            }
            let limit: Int64 = trial % 3 == 0 ? Int64.max : Int64(rng.next() % 3000)
            let lo = n == 0 ? 0 : Int(rng.next() % UInt64(n))
            let c = columns(price: prices, size: sizes)
            let expected = ReferenceKernels.rwvapSums(c, window: lo..<n, effectiveSizeLimit: limit)
            let actual = prices.withUnsafeBufferPointer { p in
                sizes.withUnsafeBufferPointer { s in
                    SegmentSums.sumUnsafe(
                        price: p.baseAddress!, size: s.baseAddress!, range: lo..<n, effectiveSizeLimit: limit)
                }
            }
            #expect(actual.rwvap == expected, "trial \(trial)")
            #expect(actual.volume == sizes[lo..<n].reduce(0) { $0 + Int64($1) }, "trial \(trial)")
        }
    }

    /// The short pass at its bounds: the largest short products over more than one block, with
    /// exceptions (excluded prints, and effective prints of 2^16 shares or more) scattered so that
    /// some runs have none, some one and some several, at a run's first and last print too.
    @Test func segmentSumsTakeOutExceptionsExactly() {
        var rng = SplitMix64(seed: 7)
        let n = SegmentSums.blockLength * 2 + SegmentSums.runLength * 3 + 5
        let limit: Int64 = 1 << 20
        var prices = [Int64](repeating: 999_999_999, count: n)
        var sizes = [Int32](repeating: 0xFFFF, count: n)
        for i in 0..<n {
            if rng.next() % 3 == 0 { prices[i] = Int64(rng.next() % 999_999_999) + 1 }
            switch rng.next() % 200 {
            case 0: sizes[i] = Int32.max  // excluded
            case 1: sizes[i] = Int32(limit)  // effective, at the limit
            case 2: sizes[i] = Int32(limit) + 1  // excluded, just above it
            case 3: sizes[i] = 0x10000  // effective, the smallest exception
            default: if rng.next() % 2 == 0 { sizes[i] = Int32(rng.next() % 0xFFFF) + 1 }
            }
        }
        for i in [0, SegmentSums.runLength - 1, SegmentSums.runLength, n - 1] { sizes[i] = Int32.max }
        let c = columns(price: prices, size: sizes)
        for window in [0..<n, 1..<(n - 1), 63..<200, 5000..<5001] {
            let expected = ReferenceKernels.rwvapSums(c, window: window, effectiveSizeLimit: limit)
            let actual = prices.withUnsafeBufferPointer { p in
                sizes.withUnsafeBufferPointer { s in
                    SegmentSums.sumUnsafe(
                        price: p.baseAddress!, size: s.baseAddress!, range: window, effectiveSizeLimit: limit)
                }
            }
            #expect(actual.rwvap == expected, "window \(window)")
            #expect(actual.volume == sizes[window].reduce(0) { $0 + Int64($1) }, "window \(window)")
        }
    }

    /// Blocks longer than the UInt64 lane limit fold exactly into Int128.
    @Test func segmentSumsAreExactPastOneBlock() {
        let n = SegmentSums.blockLength * 2 + 17
        let prices = [Int64](repeating: 999_999_999, count: n)
        let sizes = [Int32](repeating: Int32.max, count: n)
        let actual = prices.withUnsafeBufferPointer { p in
            sizes.withUnsafeBufferPointer { s in
                SegmentSums.sumUnsafe(price: p.baseAddress!, size: s.baseAddress!, range: 0..<n, effectiveSizeLimit: .max)
            }
        }
        #expect(actual.rwvap.effectivePriceVolume == Int128(999_999_999) * Int128(Int32.max) * Int128(n))
        #expect(actual.volume == Int64(Int32.max) * Int64(n))
        #expect(actual.rwvap.effectiveCount == n)
        let reference = ReferenceKernels.rwvapSums(
            columns(price: prices, size: sizes), window: 0..<n, effectiveSizeLimit: .max)
        #expect(actual.rwvap == reference)
    }
}
