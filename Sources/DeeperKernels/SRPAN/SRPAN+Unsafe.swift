// SRPAN's fast path: the aggregates on fixed scratch, with no dictionary and no allocation.
// Held equal to `ReferenceKernels.srpanAggregates` (`SRPAN+Reference.swift`) by `SRPANTests`.

/// SRPAN's aggregates over the candidate prints (SPEC §9), on fixed scratch: no allocation.
///
/// Candidates are few (30 by default), so distinct cents are kept in first-appearance order in
/// a small array and found by linear search; that order is also SRPAN's tie order.
///
/// Noncopyable and freed by its `deinit`: one owner (a `KernelWorkspace`), so the scratch can be
/// neither freed twice nor used after the workspace is gone. Only `aggregates` touches it.
struct _SRPANAccumulator: ~Copyable {
    private let cents: UnsafeMutablePointer<Int64>
    private let weights: UnsafeMutablePointer<Int64>

    init() {
        cents = .allocate(capacity: SRPANScratch.capacity)
        weights = .allocate(capacity: SRPANScratch.capacity)
    }

    deinit {
        cents.deallocate()
        weights.deallocate()
    }

    /// - Precondition: `range` lies within both buffers and `range.count` ≤
    ///   `SRPANScratch.capacity` (`Rules.validate` keeps `srpan.candidates` within it; checked here too).
    func aggregates(price: UnsafePointer<Int64>, size: UnsafePointer<Int32>, range: Range<Int>, rules: Rules)
        -> SRPANAggregates?
    {
        precondition(range.count <= SRPANScratch.capacity)
        guard range.count >= rules.srpanMinCandidates else { return nil }
        var distinct = 0
        var total: Int64 = 0
        let fullSizes = rules.srpanFullWeightSizes
        let fullWeight = rules.srpanFullWeight
        let otherWeight = rules.srpanOtherWeight
        for i in range {
            let cent = (price[i] + 50) / 100  // half up: prices are positive
            let s = size[i]
            let w = fullSizes.contains(s) ? fullWeight : otherWeight
            total += w
            var k = 0
            while k < distinct && cents[k] != cent { k += 1 }
            if k == distinct {
                cents[k] = cent
                weights[k] = 0
                distinct += 1
            }
            weights[k] += w
        }
        guard distinct >= 2 else { return nil }
        var g1 = 0
        for k in 1..<distinct where weights[k] > weights[g1] { g1 = k }
        let g1Cent = cents[g1]
        var g1Band: Int64 = 0
        var g2 = -1
        for k in 0..<distinct {
            let d = abs(cents[k] - g1Cent)
            if d <= rules.srpanConfidenceCents { g1Band += weights[k] }
            if d >= rules.srpanSeparationCents && (g2 < 0 || weights[k] > weights[g2]) { g2 = k }
        }
        guard g2 >= 0 else {
            return SRPANAggregates(g1Cents: g1Cent, g1BandWeight: g1Band, g2Cents: nil, g2BandWeight: 0, totalWeight: total)
        }
        let g2Cent = cents[g2]
        var g2Band: Int64 = 0
        for k in 0..<distinct
        where abs(cents[k] - g2Cent) <= rules.srpanConfidenceCents
            && abs(cents[k] - g1Cent) >= rules.srpanSeparationCents
        {
            g2Band += weights[k]
        }
        return SRPANAggregates(
            g1Cents: g1Cent, g1BandWeight: g1Band, g2Cents: g2Cent, g2BandWeight: g2Band, totalWeight: total)
    }
}
