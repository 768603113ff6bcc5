// SRPAN's fast path: the aggregates on fixed scratch, with no dictionary and no allocation.
// Held equal to `ReferenceKernels.srpanAggregates` (`SRPAN+Reference.swift`) by `SRPANTests`.

/// SRPAN's aggregates over the candidate prints (SPEC §9), on fixed scratch: no allocation.
///
/// Distinct cents are kept in first-appearance order (SRPAN's tie order) in a small array. A
/// cent finds its entry through a direct-mapped slot table over the candidates' cent span when
/// that span is narrow (always, for real tapes: 30 prints rarely span a dollar), else by linear
/// search; both give the same entries in the same order.
///
/// Noncopyable and freed by its `deinit`: one owner (a `KernelWorkspace`), so the scratch can be
/// neither freed twice nor used after the workspace is gone. Only `aggregates` touches it.
///
/// Invariant between calls: every slot is 0 (empty); a call clears the slots it filled.
struct _SRPANAccumulator: ~Copyable {
    private let cents: UnsafeMutablePointer<Int64>
    private let weights: UnsafeMutablePointer<Int64>
    /// Each candidate's cent and weight, read once.
    private let candidateCents: UnsafeMutablePointer<Int64>
    private let candidateWeights: UnsafeMutablePointer<Int64>
    /// `slots[c - lowest]`: 1 + the entry of cent `c`, or 0 when `c` has none yet.
    private let slots: UnsafeMutablePointer<UInt16>

    /// Widest cent span the slot table covers ($10.24); wider candidates search linearly.
    static let slotSpan = 1024

    init() {
        cents = .allocate(capacity: SRPANScratch.capacity)
        weights = .allocate(capacity: SRPANScratch.capacity)
        candidateCents = .allocate(capacity: SRPANScratch.capacity)
        candidateWeights = .allocate(capacity: SRPANScratch.capacity)
        slots = .allocate(capacity: Self.slotSpan)
        slots.initialize(repeating: 0, count: Self.slotSpan)
    }

    deinit {
        cents.deallocate()
        weights.deallocate()
        candidateCents.deallocate()
        candidateWeights.deallocate()
        slots.deallocate()
    }

    /// - Precondition: `range` lies within both buffers and `range.count` ≤
    ///   `SRPANScratch.capacity` (`Rules.validate` keeps `srpan.candidates` within it; checked here too).
    func aggregates(price: UnsafePointer<Int64>, size: UnsafePointer<Int32>, range: Range<Int>, rules: Rules)
        -> SRPANAggregates?
    {
        precondition(range.count <= SRPANScratch.capacity)
        guard range.count >= rules.srpanMinCandidates else { return nil }
        let n = range.count
        var total: Int64 = 0
        var lowest = Int64.max
        var highest = Int64.min
        // The full-weight sizes are a short list (3 by default): read them once, not per print.
        let fullSizes = rules.srpanFullWeightSizes
        let fullWeight = rules.srpanFullWeight
        let otherWeight = rules.srpanOtherWeight
        // One to four full-weight sizes (3 by default) are tested in one SIMD compare; the spare
        // lanes repeat the first size, so they match nothing new.
        let fitsLanes = (1...4).contains(fullSizes.count)
        var fullLanes = SIMD4<Int32>(repeating: fullSizes.first ?? 0)
        if fitsLanes { for (k, f) in fullSizes.enumerated() { fullLanes[k] = f } }
        fullSizes.withUnsafeBufferPointer { full in
            for k in 0..<n {
                let i = range.lowerBound &+ k
                // Half up, in unsigned arithmetic: prices are positive, so this equals the signed
                // `(price + 50) / 100` and spares the division's sign fix-up.
                let cent = Int64(bitPattern: UInt64(bitPattern: price[i] &+ 50) / 100)
                let s = size[i]
                var isFull = false
                if fitsLanes {
                    isFull = any(fullLanes .== SIMD4(repeating: s))
                } else {
                    for f in full where f == s { isFull = true }
                }
                let w = isFull ? fullWeight : otherWeight
                candidateCents[k] = cent
                candidateWeights[k] = w
                total += w
                lowest = min(lowest, cent)
                highest = max(highest, cent)
            }
        }
        let distinct =
            n > 0 && highest - lowest < Int64(Self.slotSpan)
            ? tallyBySlot(n, lowest: lowest) : tallyByLinearSearch(n)
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

    /// Sums candidate weights per distinct cent into `cents`/`weights` (first-appearance order)
    /// through the slot table; returns the number of distinct cents and leaves every slot 0.
    ///
    /// - Precondition: every candidate cent lies in `lowest ..< lowest + slotSpan`.
    @inline(__always)
    private func tallyBySlot(_ n: Int, lowest: Int64) -> Int {
        var distinct = 0
        for k in 0..<n {
            let cent = candidateCents[k]
            // Safe: the precondition bounds `cent - lowest` to the table.
            let slot = Int(truncatingIfNeeded: cent &- lowest)
            var e = Int(slots[slot]) &- 1
            if e < 0 {
                e = distinct
                slots[slot] = UInt16(truncatingIfNeeded: e &+ 1)  // e < capacity (256)
                cents[e] = cent
                weights[e] = 0
                distinct &+= 1
            }
            weights[e] &+= candidateWeights[k]
        }
        for e in 0..<distinct { slots[Int(truncatingIfNeeded: cents[e] &- lowest)] = 0 }
        return distinct
    }

    /// `tallyBySlot` for a span too wide for the table: the same entries, found by linear search.
    @inline(never)
    private func tallyByLinearSearch(_ n: Int) -> Int {
        var distinct = 0
        for k in 0..<n {
            let cent = candidateCents[k]
            var e = 0
            while e < distinct && cents[e] != cent { e += 1 }
            if e == distinct {
                cents[e] = cent
                weights[e] = 0
                distinct += 1
            }
            weights[e] += candidateWeights[k]
        }
        return distinct
    }
}
