@testable import DeeperKernels
import Testing

/// The per-symbol helpers of `KernelWorkspace` against their plain twins: the branch-free window
/// search, the lane price bounds and the hinted calendar lookup.
@Suite struct WorkspaceTwinsTests {
    /// The branch-free lower bound equals a linear scan on every sub-range of sorted times with
    /// runs of equal values, for targets below, between, on and above them.
    @Test func branchFreeLowerBoundEqualsLinearScan() {
        var rng = SplitMix64(seed: 12)
        for length in [0, 1, 2, 3, 7, 8, 9, 33, 100] {
            var time: [Int64] = []
            var t: Int64 = 1_000
            for _ in 0..<length {
                t += Int64(rng.next() % 3)  // steps of 0 make runs of equal times
                time.append(t)
            }
            let targets = [Int64.min, 0, 999, 1_000, 1_001] + time + time.map { $0 + 1 } + [t + 5, Int64.max]
            time.withUnsafeBufferPointer { buffer in
                let p = buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!
                for lo in 0...length {
                    for hi in lo...length {
                        for target in targets {
                            let expected = (lo..<hi).first { time[$0] >= target } ?? hi
                            #expect(
                                KernelWorkspace.lowerBound(p, lo, hi, target) == expected,
                                "length \(length) \(lo)..<\(hi) target \(target)")
                        }
                    }
                }
            }
        }
    }

    static let boundsCases: [[Int64]] = {
        var cases: [[Int64]] = [
            [], [250_000], [250_000, 249_900, 250_100, 250_000], [1, 999_999_999, 500],
            [Int64(Int32.max), 1], [Int64(Int32.max) + 1, 5], [-3, 250_000], [Int64.max, Int64.min, 0],
        ]
        // Long enough for the lanes: values where Float rounds up and down, and both extremes
        // in the lanes, in the tail, or split between them.
        cases.append([
            16_777_217, 999_999_999, 33_554_435, 1_073_741_823, 16_777_217, 500, 999_999_937, 2_147_483_647, 77,
            2_147_483_583,
        ])
        cases.append((0..<19).map { (k: Int) -> Int64 in Int64(250_000 + (k * 7_919) % 1_000) })
        cases.append((0..<17).map { (k: Int) -> Int64 in k == 16 ? 1_073_741_760 : Int64(123_456_789 - k) })
        cases.append((0..<24).map { (k: Int) -> Int64 in k == 9 ? Int64(Int32.max) + 1 : 250_000 })
        return cases
    }()

    /// The lane bounds hold every price and overshoot by at most twice the slack the exact 64-bit
    /// twin's (which equal the standard library's), and any price outside `0..<2^31` gets the
    /// exact 64-bit answer.
    @Test(arguments: Self.boundsCases)
    func priceBoundsHoldEveryPriceWithinTheSlack(_ prices: [Int64]) {
        prices.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!
            for lo in 0...prices.count {
                for hi in lo...prices.count {
                    let fast = KernelWorkspace.priceBoundsUnsafe(p, lo..<hi)
                    let wide = KernelWorkspace.priceBoundsWide(p, lo..<hi)
                    let window = prices[lo..<hi]
                    if hi == lo {
                        #expect(fast == (Int64.max, Int64.min))
                        #expect(wide == (Int64.max, Int64.min))
                        continue
                    }
                    #expect(wide.0 == window.min() && wide.1 == window.max(), "\(prices) \(lo)..<\(hi)")
                    if window.allSatisfy({ (0..<(1 << 31)).contains($0) }) {
                        #expect(
                            fast.0 <= wide.0 && fast.0 >= wide.0 - 2 * KernelWorkspace.priceBoundsSlack
                                && fast.1 >= wide.1 && fast.1 <= wide.1 + 2 * KernelWorkspace.priceBoundsSlack,
                            "\(prices) \(lo)..<\(hi): \(fast) against \(wide)")
                        if hi - lo < 8 { #expect(fast == wide, "the tail alone is exact") }
                    } else {
                        #expect(fast == wide, "\(prices) \(lo)..<\(hi)")
                    }
                }
            }
        }
    }

    /// The hinted day lookup answers what the plain binary search answers, whatever the hint
    /// (right, off by one, stale, out of range), and leaves the answer as the next hint.
    @Test func hintedOpenLookupEqualsBinarySearch() {
        let calendar = TradingCalendar(extraClosures: Rules.default.extraClosures)
        var rng = SplitMix64(seed: 99)
        let from = instant("1989-12-01T00:00:00Z")
        let to = instant("2030-01-01T00:00:00Z")
        var hint = -1
        for k in 0..<5_000 {
            // Mostly instants near the previous one (the engine's case), sometimes anywhere.
            let t =
                k % 5 == 0
                ? from + Int64(rng.next() % UInt64(to - from))
                : instant("2025-07-03T15:00:00Z") + Int64(rng.next() % (6 * 86_400)) * 1_000_000_000
            switch rng.next() % 6 {
            case 0: hint = -7
            case 1: hint = calendar.opens.count + 3
            case 2: hint = Int(rng.next() % UInt64(calendar.opens.count))
            default: break  // keep the previous answer
            }
            let expected = calendar.lastOpenIndex(atOrBefore: t)
            #expect(calendar.lastOpenIndex(atOrBefore: t, hint: &hint) == expected, "t \(t)")
            #expect(hint == (expected ?? -1), "t \(t)")
            for days in [1, 3, 5] {
                #expect(
                    calendar.windowStart(tradingDays: days, anchorIndex: expected)
                        == calendar.windowStart(tradingDays: days, at: t))
            }
        }
    }
}
