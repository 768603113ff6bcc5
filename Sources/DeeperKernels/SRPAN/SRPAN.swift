// SRPAN (SPEC §9): is the tape two-sided? The heaviest cent G1 among the last prints, the
// heaviest cent G2 far enough from it, and how balanced, heavy and far apart the two are.
//
// This folder holds the metric whole: its numbers and exact aggregates here, the plain reference
// in `SRPAN+Reference.swift`, the allocation-free accumulator in `SRPAN+Unsafe.swift`. The test
// that holds them equal is `Tests/DeeperKernelsTests/SRPAN/SRPANTests.swift`.

/// Where G2 lies from G1 (SPEC §9); the raw value is the JSON text.
public enum SRPANDirection: String, Sendable {
    /// G2 is above G1.
    case up = "UP"
    /// G2 is below G1.
    case down = "DOWN"
    /// There is no G2 (or no SRPAN result at all).
    case notApplicable = "N/A"
}

/// SRPAN (SPEC §9). `grpan1`/`grpan2` are exact prices in ticks (whole cents); `spread` in dollars.
public struct SRPANMetrics: Sendable, Equatable {
    /// 0.60 × balance + 0.15 × total + 0.25 × spread score by default (SPEC §9 step 10); 0
    /// without G2.
    public var srpanScore: Double = 0
    /// G1, the heaviest cent, in ticks; nil in the empty result.
    public var grpan1: Int64? = nil
    /// The percentage of all weight within the confidence range of G1.
    public var grpan1Conf: Double = 0
    /// G2, the heaviest cent far enough from G1, in ticks; nil when there is none.
    public var grpan2: Int64? = nil
    /// The percentage of all weight within the confidence range of G2 and far enough from G1.
    public var grpan2Conf: Double = 0
    /// |G2 − G1| in dollars; 0 without G2.
    public var spread: Double = 0
    /// Whether G2 lies above or below G1.
    public var direction: SRPANDirection = .notApplicable
    /// max(0, 100 − |grpan1Conf − grpan2Conf|); 0 without G2.
    public var balanceScore: Double = 0
    /// min(100, grpan1Conf + grpan2Conf); 0 without G2.
    public var totalScore: Double = 0
    /// 0 up to the spread floor, 100 from the spread cap, linear in between; 0 without G2.
    public var spreadScore: Double = 0

    /// The empty result (SPEC §9): zeros, nulls and `N/A`.
    public init() {}

    /// The empty result (SPEC §9): zeros, nulls and `N/A`.
    public static let empty = SRPANMetrics()
}

/// Integer aggregates of SRPAN (SPEC §9), all weights in thousandths, prices in cents.
public struct SRPANAggregates: Sendable, Equatable {
    /// G1 in cents.
    public var g1Cents: Int64
    /// Σ V(c) for |c − G1| ≤ confidence band.
    public var g1BandWeight: Int64
    /// nil when no cent is far enough from G1.
    public var g2Cents: Int64?
    /// Σ V(c) for |c − G2| ≤ confidence band and |c − G1| ≥ separation; 0 without G2.
    public var g2BandWeight: Int64
    /// T = Σ V.
    public var totalWeight: Int64

    /// Aggregates from their parts.
    public init(g1Cents: Int64, g1BandWeight: Int64, g2Cents: Int64?, g2BandWeight: Int64, totalWeight: Int64) {
        self.g1Cents = g1Cents
        self.g1BandWeight = g1BandWeight
        self.g2Cents = g2Cents
        self.g2BandWeight = g2BandWeight
        self.totalWeight = totalWeight
    }
}

/// Fixed-capacity scratch for SRPAN's candidates (at most `capacity`).
public enum SRPANScratch {
    /// The most candidates SRPAN takes (`srpan.candidates` is at most this).
    public static let capacity = 256
}

extension MetricsAssembly {
    /// SRPAN scores from its aggregates (nil aggregates = the empty result).
    public static func srpan(_ a: SRPANAggregates?, rules: Rules) -> SRPANMetrics {
        guard let a, a.totalWeight > 0 else { return .empty }
        var m = SRPANMetrics()
        m.grpan1 = a.g1Cents * 100
        m.grpan1Conf = 100.0 * Double(a.g1BandWeight) / Double(a.totalWeight)
        guard let g2 = a.g2Cents else { return m }
        m.grpan2 = g2 * 100
        m.grpan2Conf = 100.0 * Double(a.g2BandWeight) / Double(a.totalWeight)
        let spreadCents = abs(g2 - a.g1Cents)
        m.spread = Double(spreadCents) / 100.0
        m.direction = g2 > a.g1Cents ? .up : .down
        m.balanceScore = max(0, 100 - abs(m.grpan1Conf - m.grpan2Conf))
        m.totalScore = min(100, m.grpan1Conf + m.grpan2Conf)
        if spreadCents <= rules.srpanSpreadFloorCents {
            m.spreadScore = 0
        } else if spreadCents >= rules.srpanSpreadCapCents {
            m.spreadScore = 100
        } else {
            m.spreadScore = 100.0 * Double(spreadCents - rules.srpanSpreadFloorCents)
                / Double(rules.srpanSpreadCapCents - rules.srpanSpreadFloorCents)
        }
        m.srpanScore = rules.srpanBalanceWeight * m.balanceScore + rules.srpanTotalWeight * m.totalScore
            + rules.srpanSpreadWeight * m.spreadScore
        return m
    }
}
