// SRPAN's plain reference: dictionaries of cent weights and first appearances, following SPEC §9
// line by line. `_SRPANAccumulator` (`SRPAN+Unsafe.swift`) is held equal to it.

extension ReferenceKernels {
    /// The integer aggregates of SRPAN over the last `rules.srpanCandidates` prints of `history`;
    /// nil for the empty result (too few candidates, or fewer than 2 distinct cents).
    public static func srpanAggregates(_ columns: PrintColumns, history: Range<Int>, rules: Rules)
        -> SRPANAggregates?
    {
        let candidates = Array(history.suffix(rules.srpanCandidates))
        if candidates.count < rules.srpanMinCandidates { return nil }

        // V(c) and first appearance of each cent, in candidate order.
        var volume: [Int64: Int64] = [:]
        var firstSeen: [Int64: Int] = [:]
        for (position, i) in candidates.enumerated() {
            let cent = (columns.price[i] + 50) / 100  // half up; prices are positive
            let w =
                rules.srpanFullWeightSizes.contains(columns.size[i]) ? rules.srpanFullWeight : rules.srpanOtherWeight
            volume[cent, default: 0] += w
            if firstSeen[cent] == nil { firstSeen[cent] = position }
        }
        if volume.count < 2 { return nil }
        let total = volume.values.reduce(0, +)

        /// The cent of `cents` with the largest V; ties to the earliest first appearance.
        func heaviest(_ cents: [Int64]) -> Int64? {
            cents.min { a, b in
                volume[a]! != volume[b]! ? volume[a]! > volume[b]! : firstSeen[a]! < firstSeen[b]!
            }
        }

        let g1 = heaviest(Array(volume.keys))!
        let g1Band = volume.filter { abs($0.key - g1) <= rules.srpanConfidenceCents }.values.reduce(0, +)
        let g2Candidates = volume.keys.filter { abs($0 - g1) >= rules.srpanSeparationCents }
        guard let g2 = heaviest(g2Candidates) else {
            return SRPANAggregates(g1Cents: g1, g1BandWeight: g1Band, g2Cents: nil, g2BandWeight: 0, totalWeight: total)
        }
        let g2Band = volume.filter {
            abs($0.key - g2) <= rules.srpanConfidenceCents && abs($0.key - g1) >= rules.srpanSeparationCents
        }.values.reduce(0, +)
        return SRPANAggregates(g1Cents: g1, g1BandWeight: g1Band, g2Cents: g2, g2BandWeight: g2Band, totalWeight: total)
    }
}
