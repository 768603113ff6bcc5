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
    ///   `SRPANScratch.capacity` (`Rules.validate` keeps `srpan.candidates` within it; checked here
    ///   too); prices are in `1..<2^30` ticks (the parsers' limit), so cents are below 2^24.
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
        // The three walks over the distinct cents (16 a symbol on tapes with sub-penny prints)
        // decide every entry with masks, not branches: whether a cent is in a band or far enough
        // is a coin toss the predictor cannot learn. Cents are below 2^24 and the rules' bands
        // non-negative, so no difference below overflows.
        let confidence = rules.srpanConfidenceCents
        let separation = rules.srpanSeparationCents
        var g1 = 0
        for k in 1..<distinct where weights[k] > weights[g1] { g1 = k }
        let g1Cent = cents[g1]
        var g1Band: Int64 = 0
        // G2: the heaviest cent far enough from G1, the first on a tie. A near cent competes
        // with weight `Int64.min`, so it never wins; nor does any cent when all are near.
        var g2 = -1
        var g2Weight = Int64.min
        for k in 0..<distinct {
            let d = Self.distance(cents[k], g1Cent)
            g1Band &+= weights[k] & Self.atMost(d, confidence)
            let far = ~Self.atMost(d, separation &- 1)
            let competing = (weights[k] & far) | (Int64.min & ~far)
            let wins = Self.lessMask(g2Weight, competing)
            g2 ^= (g2 ^ k) & Int(truncatingIfNeeded: wins)
            g2Weight ^= (g2Weight ^ competing) & wins
        }
        guard g2 >= 0 else {
            return SRPANAggregates(g1Cents: g1Cent, g1BandWeight: g1Band, g2Cents: nil, g2BandWeight: 0, totalWeight: total)
        }
        let g2Cent = cents[g2]
        var g2Band: Int64 = 0
        for k in 0..<distinct {
            let nearG2 = Self.atMost(Self.distance(cents[k], g2Cent), confidence)
            let farFromG1 = ~Self.atMost(Self.distance(cents[k], g1Cent), separation &- 1)
            g2Band &+= weights[k] & nearG2 & farFromG1
        }
        return SRPANAggregates(
            g1Cents: g1Cent, g1BandWeight: g1Band, g2Cents: g2Cent, g2BandWeight: g2Band, totalWeight: total)
    }

    /// `|a − b|` for cents (below 2^24), without a branch.
    @inline(__always)
    static func distance(_ a: Int64, _ b: Int64) -> Int64 {
        let d = a &- b
        let sign = d >> 63
        return (d ^ sign) &- sign
    }

    /// All ones when `a < b`, else zero, for any two values (Hacker's Delight §2-12: the sign of
    /// `a − b` corrected for overflow).
    @inline(__always)
    static func lessMask(_ a: Int64, _ b: Int64) -> Int64 {
        ((a & ~b) | (~(a ^ b) & (a &- b))) >> 63
    }

    /// All ones when `d ≤ limit`, else zero, for a distance `d` in `0..<2^24` and `limit ≥ −1`.
    @inline(__always)
    static func atMost(_ d: Int64, _ limit: Int64) -> Int64 {
        ~((limit &- d) >> 63)
    }

    /// Sums candidate weights per distinct cent into `cents`/`weights` (first-appearance order)
    /// through the slot table; returns the number of distinct cents and leaves every slot 0.
    ///
    /// - Precondition: every candidate cent lies in `lowest ..< lowest + slotSpan`.
    @inline(__always)
    private func tallyBySlot(_ n: Int, lowest: Int64) -> Int {
        // Branch-free: whether a cent is new is a coin toss the predictor cannot learn. Every
        // entry a call can open starts at weight 0, so a new one needs no other case.
        weights.update(repeating: 0, count: n)
        var distinct = 0
        for k in 0..<n {
            let cent = candidateCents[k]
            // Safe: the precondition bounds `cent - lowest` to the table.
            let slot = Int(truncatingIfNeeded: cent &- lowest)
            // The cent's entry, or −1 when it has none yet (then `isNew` is all ones).
            let old = Int(slots[slot]) &- 1
            let isNew = old >> 63
            let e = old &+ ((distinct &+ 1) & isNew)
            slots[slot] = UInt16(truncatingIfNeeded: e &+ 1)  // e < capacity (256)
            cents[e] = cent
            weights[e] &+= candidateWeights[k]
            distinct &-= isNew
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
