/// Every tunable constant of SPEC §2–§9, with SPEC's defaults (the table of SPEC §11).
///
/// Weights and prices are held as exact integers: weights in thousandths, prices and price
/// distances in ticks of $0.0001. A rules file (see `DeeperData.RulesFile`) changes any of
/// them; the kernels only ever read this value.
public struct Rules: Sendable, Equatable {
    // MARK: - Eligibility and GRPAN weights (SPEC §2)

    /// Prints smaller than this are not eligible and never stored.
    public var minLot: Int32 = 20
    /// Venues counted as FINRA (compared case-insensitively, stored upper-case).
    public var finraVenues: [String] = ["FNRA"]
    /// Weight of a print on a lit venue, in thousandths.
    public var weightLit: Int32 = 1000
    /// Weight of a FINRA/unknown print of exactly 100 or 200 shares, in thousandths.
    public var weightRound100or200: Int32 = 1000
    /// Weight of a FINRA/unknown print of 300 shares or more in whole hundreds, in thousandths.
    public var weightRoundLarge: Int32 = 400
    /// Weight of any other FINRA/unknown print, in thousandths.
    public var weightIrregular: Int32 = 200

    // MARK: - History (SPEC §5)

    /// Only the last `historyCap` prints of history are visible; 0 means unbounded.
    public var historyCap: Int = 0

    // MARK: - GRPAN (SPEC §6)

    /// Size of `latest_pan` in prints.
    public var latestPanPrints: Int = 15
    /// Lengths of `pan_10m`, `pan_30m`, `pan_1h`, `pan_3h`, in minutes.
    public var panMinutes: [Int] = [10, 30, 60, 180]
    /// Lengths of `pan_1d`, `pan_3d`, in trading days.
    public var panTradingDays: [Int] = [1, 3]
    /// Half-width of the concentration band around the mode, inclusive, in ticks (0.04).
    public var concentrationRangeTicks: Int64 = 400

    // MARK: - RWVAP (SPEC §7)

    /// Lengths of `rwvap_1d`, `rwvap_3d`, `rwvap_5d`, in trading days.
    public var rwvapTradingDays: [Int] = [1, 3, 5]
    /// `extreme_threshold = avg_adv × extremeMultiplier`.
    public var extremeMultiplier: ExactDecimal = ExactDecimal(mantissa: 1, scale: 0)
    /// Fewer effective prints than this leaves `rwvap` null.
    public var rwvapMinPrints: Int = 5

    // MARK: - SRPAN (SPEC §9)

    /// How many of the last prints are candidates.
    public var srpanCandidates: Int = 30
    /// Fewer candidates than this gives the empty result.
    public var srpanMinCandidates: Int = 8
    /// Sizes that weigh `srpanFullWeight`; every other size weighs `srpanOtherWeight`.
    public var srpanFullWeightSizes: [Int32] = [100, 200, 300]
    /// Weight of a candidate whose size is in `srpanFullWeightSizes`, in thousandths (1.0).
    public var srpanFullWeight: Int64 = 1000
    /// Weight of every other candidate, in thousandths (0.25).
    public var srpanOtherWeight: Int64 = 250
    /// Half-width of a confidence band around G1 or G2, in cents, inclusive (0.03).
    public var srpanConfidenceCents: Int64 = 3
    /// Minimum distance of a G2 candidate from G1, in cents, inclusive (0.06).
    public var srpanSeparationCents: Int64 = 6
    /// `spread_score` is 0 at or below this spread, in cents (0.06).
    public var srpanSpreadFloorCents: Int64 = 6
    /// `spread_score` is 100 at or above this spread, in cents (0.30).
    public var srpanSpreadCapCents: Int64 = 30
    /// Weight of `balance_score` in `srpan_score` (0.60).
    public var srpanBalanceWeight: Double = 0.60
    /// Weight of `total_score` in `srpan_score` (0.15).
    public var srpanTotalWeight: Double = 0.15
    /// Weight of `spread_score` in `srpan_score` (0.25).
    public var srpanSpreadWeight: Double = 0.25

    // MARK: - Calendar (SPEC §3)

    /// Full-day NYSE closures beyond the regular holiday rules.
    public var extraClosures: [CivilDate] = [
        CivilDate(year: 2007, month: 1, day: 2),
        CivilDate(year: 2012, month: 10, day: 29),
        CivilDate(year: 2012, month: 10, day: 30),
        CivilDate(year: 2018, month: 12, day: 5),
        CivilDate(year: 2025, month: 1, day: 9),
    ]

    /// The defaults of SPEC §11.
    public init() {}

    /// The defaults of SPEC §11.
    public static let `default` = Rules()

    /// GRPAN weight of an eligible print, in thousandths (SPEC §2).
    @inlinable
    public func grpanWeight(size: Int32, venueClass: VenueClass) -> Int32 {
        if venueClass == .lit { return weightLit }
        if size == 100 || size == 200 { return weightRound100or200 }
        if size >= 300 && size % 100 == 0 { return weightRoundLarge }
        return weightIrregular
    }

    /// Class of a venue name under these rules (SPEC §2): empty is unknown, a name in
    /// `finraVenues` (any case) is FINRA, anything else is lit.
    public func venueClass(of venue: some StringProtocol) -> VenueClass {
        let trimmed = venue.uppercased()
        if trimmed.isEmpty { return .unknown }
        return finraVenues.contains(trimmed) ? .finra : .lit
    }

    /// Checks the cross-field invariants the kernels rely on; the message names the key.
    public func validate() throws(RulesError) {
        func fail(_ key: String, _ why: String) -> RulesError { RulesError(key: key, reason: why) }
        if minLot < 1 { throw fail("min_lot", "must be at least 1") }
        for (key, w) in [
            ("weights.lit", weightLit), ("weights.finra_100_200", weightRound100or200),
            ("weights.finra_round_large", weightRoundLarge), ("weights.finra_irregular", weightIrregular),
        ] where w < 0 || w > 1_000_000 {
            throw fail(key, "must be between 0 and 1000")
        }
        if historyCap < 0 { throw fail("history.cap", "must be 0 (unbounded) or positive") }
        if latestPanPrints < 1 { throw fail("grpan.latest_prints", "must be at least 1") }
        if panMinutes.count != 4 || panMinutes.contains(where: { $0 < 1 || $0 > 100_000 }) {
            throw fail("grpan.minutes", "must list 4 lengths (pan_10m, pan_30m, pan_1h, pan_3h) of 1 to 100000")
        }
        if panTradingDays.count != 2 || panTradingDays.contains(where: { $0 < 1 || $0 > 1000 }) {
            throw fail("grpan.trading_days", "must list 2 lengths (pan_1d, pan_3d) of 1 to 1000")
        }
        if concentrationRangeTicks < 0 || concentrationRangeTicks > 10_000_000 {
            throw fail("grpan.concentration_range", "must be between 0 and 1000")
        }
        if rwvapTradingDays.count != 3 || rwvapTradingDays.contains(where: { $0 < 1 || $0 > 1000 }) {
            throw fail("rwvap.trading_days", "must list 3 lengths (rwvap_1d, rwvap_3d, rwvap_5d) of 1 to 1000")
        }
        if extremeMultiplier.mantissa <= 0 { throw fail("rwvap.extreme_multiplier", "must be greater than 0") }
        if rwvapMinPrints < 1 { throw fail("rwvap.min_prints", "must be at least 1") }
        if srpanCandidates < 1 || srpanCandidates > SRPANScratch.capacity {
            throw fail("srpan.candidates", "must be between 1 and \(SRPANScratch.capacity)")
        }
        if srpanMinCandidates < 1 { throw fail("srpan.min_candidates", "must be at least 1") }
        if srpanFullWeight < 0 || srpanOtherWeight < 0 || srpanFullWeight > 1_000_000 || srpanOtherWeight > 1_000_000 {
            throw fail("srpan.full_weight", "weights must be between 0 and 1000")
        }
        if srpanConfidenceCents < 0 { throw fail("srpan.confidence_range", "must not be negative") }
        if srpanSeparationCents < 0 { throw fail("srpan.separation", "must not be negative") }
        if srpanSpreadCapCents <= srpanSpreadFloorCents {
            throw fail("srpan.spread_cap", "must be greater than srpan.spread_floor")
        }
    }
}

/// How a venue counts for GRPAN weights.
public enum VenueClass: UInt8, Sendable {
    /// No venue given.
    case unknown = 0
    /// A venue in `Rules.finraVenues`: off-exchange.
    case finra = 1
    /// Any other venue: an exchange.
    case lit = 2
}

/// A rules value that breaks an invariant, naming the rules-file key.
public struct RulesError: Error, Equatable, CustomStringConvertible {
    /// The rules-file key of the value at fault, as SPEC §11 spells it (`grpan.minutes`).
    public var key: String
    /// What is wrong with it, worded for a person.
    public var reason: String
    /// An error about the value under `key`.
    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }
    /// `rules: KEY: REASON`.
    public var description: String { "rules: \(key): \(reason)" }
}
