import DeeperKernels
import Testing

/// `deeper-bench`'s bandwidth probe reads through raw pointers; its plain twin reads the arrays.
@Suite struct BandwidthProbeTests {
    @Test func unsafePassEqualsReference() {
        var rng = SplitMix64(seed: 99)
        for trial in 0..<100 {
            let n = Int(rng.next() % 70)
            var c = PrintColumns()
            for _ in 0..<n {
                // Extremes as well, so the wrapping sums wrap.
                let huge = rng.next() % 5 == 0
                c.append(
                    time: huge ? Int64.max - Int64(rng.next() % 9) : Int64(bitPattern: rng.next() >> 1),
                    price: huge ? Int64.max : Int64(rng.next() % 999_999_999) + 1,
                    size: Int32(truncatingIfNeeded: rng.next() % UInt64(Int32.max)) + 1, venue: 0,
                    weight: [Int32(1000), 400, 200][Int(rng.next() % 3)])
            }
            let lo = Int(rng.next() % UInt64(n + 1))
            let hi = lo + Int(rng.next() % UInt64(n - lo + 1))
            #expect(
                BandwidthProbe.pass(c, range: lo..<hi) == BandwidthProbe.reference(c, range: lo..<hi),
                "trial \(trial), \(lo)..<\(hi) of \(n)")
        }
    }
}
