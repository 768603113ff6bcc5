@testable import DeeperKernels
import PropertyBased
import Testing

/// SRPAN's allocation-free accumulator against `ReferenceKernels.srpanAggregates`.
@Suite struct SRPANTests {
    /// Random candidates around one price: sub-penny prices that round either way, cents tied on
    /// weight, clusters at and around the separation, every count from none to past the default
    /// 30 candidates, and rules with wider windows and bands or other full-weight sizes.
    @Test func accumulatorEqualsReference() async {
        await propertyCheck(count: 400, input: Gen.uint64(), Gen.int(in: 0...80)) { seed, count in
            var rng = SplitMix64(seed: seed)
            var rules = Rules()
            switch rng.next() % 5 {
            case 0: rules.srpanCandidates = Int(rng.next() % UInt64(SRPANScratch.capacity)) + 1
            case 1:
                rules.srpanConfidenceCents = Int64(rng.next() % 10)
                rules.srpanSeparationCents = Int64(rng.next() % 12)
            case 2:
                // None to six full-weight sizes: the accumulator's SIMD compare takes one to four,
                // a plain loop the rest.
                rules.srpanFullWeightSizes = (0..<Int(rng.next() % 7)).map { _ in
                    [Int32(100), 200, 300, 50, 150, 1000, 7][Int(rng.next() % 7)]
                }
            default: break
            }
            // At least 1,201 ticks: every price below stays positive, as the parsers guarantee
            // and the accumulator requires (it rounds to cents in unsigned arithmetic).
            let base = Int64(rng.next() % 400_000) + 1201
            // One case in three has far prints ($11 to $21 away): candidates spanning more cents
            // than the accumulator's slot table, which it then searches linearly.
            let far = rng.next() % 3 == 0
            let price = (0..<count).map { _ in
                switch rng.next() % 8 {
                case 0, 1: base + Int64(rng.next() % 200) - 100  // sub-penny, either side of a cent
                case 2 where far: base + 110_000 + Int64(rng.next() % 100_000)
                default: base + (Int64(rng.next() % 25) - 12) * 100
                }
            }
            let size = (0..<count).map { _ in [Int32(100), 200, 300, 50, 150, 1000][Int(rng.next() % 6)] }
            let c = columns(price: price, size: size)
            let candidates = max(0, count - rules.srpanCandidates)..<count
            let expected = ReferenceKernels.srpanAggregates(c, history: 0..<count, rules: rules)
            let accumulator = _SRPANAccumulator()
            let actual = c.price.withUnsafeBufferPointer { p in
                c.size.withUnsafeBufferPointer { s in
                    accumulator.aggregates(
                        price: p.baseAddress!, size: s.baseAddress!, range: candidates, rules: rules)
                }
            }
            #expect(actual == expected, "seed \(seed), count \(count)")
        }
    }
}
