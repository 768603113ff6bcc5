import DeeperKernels
import Yams

/// The YAML rules file: every constant of SPEC §2–§9 under a stable key.
///
/// Loading starts from the defaults and applies only the keys present, so a file may hold just
/// the one number a quant is trying. Unknown keys and bad values are errors naming the key.
public enum RulesFile {
    /// The full default rules file, commented (what `deeper rules` prints).
    public static func render(_ r: Rules = .default) -> String {
        func list<T>(_ xs: [T]) -> String { "[" + xs.map { "\($0)" }.joined(separator: ", ") + "]" }
        func w(_ v: Int32) -> String { PriceFormat.thousandths(Int64(v)) }
        func cents(_ c: Int64) -> String { PriceFormat.decimal(c * 100) }
        return """
            # Deeper rules: every constant of the metric specification, with its default.
            # Load with --rules FILE (or DEEPER_RULES). Keys left out keep their defaults.

            # Eligibility (SPEC §2): prints smaller than min_lot are invisible everywhere.
            min_lot: \(r.minLot)
            # Venues counted as FINRA (case-insensitive). Empty or missing venue = unknown.
            finra_venues: \(list(r.finraVenues))

            # GRPAN weight of an eligible print (at most 3 decimals; summed exactly).
            weights:
              lit: \(w(r.weightLit))                  # any lit venue
              finra_100_200: \(w(r.weightRound100or200))        # FINRA/unknown, size 100 or 200
              finra_round_large: \(w(r.weightRoundLarge))    # FINRA/unknown, size >= 300 in whole hundreds
              finra_irregular: \(w(r.weightIrregular))      # FINRA/unknown, any other size

            history:
              cap: \(r.historyCap)    # only the last N prints are visible; 0 = unbounded (150 = old engine)

            grpan:
              latest_prints: \(r.latestPanPrints)               # latest_pan = the last N prints
              minutes: \(list(r.panMinutes))    # pan_10m, pan_30m, pan_1h, pan_3h
              trading_days: \(list(r.panTradingDays))            # pan_1d, pan_3d
              concentration_range: \(PriceFormat.decimal(r.concentrationRangeTicks))     # inclusive band around the mode, dollars

            rwvap:
              trading_days: \(list(r.rwvapTradingDays))         # rwvap_1d, rwvap_3d, rwvap_5d
              extreme_multiplier: \(r.extremeMultiplier)     # a print larger than avg_adv x this is excluded
              min_prints: \(r.rwvapMinPrints)                # fewer effective prints -> COLLECTING / INSUFFICIENT_DATA

            srpan:
              candidates: \(r.srpanCandidates)                # the last N prints of history
              min_candidates: \(r.srpanMinCandidates)
              full_weight_sizes: \(list(r.srpanFullWeightSizes))
              full_weight: \(PriceFormat.thousandths(r.srpanFullWeight))
              other_weight: \(PriceFormat.thousandths(r.srpanOtherWeight))
              confidence_range: \(cents(r.srpanConfidenceCents))        # dollars, inclusive
              separation: \(cents(r.srpanSeparationCents))              # min |G2 - G1|, dollars, inclusive
              spread_floor: \(cents(r.srpanSpreadFloorCents))            # spread_score 0 at or below
              spread_cap: \(cents(r.srpanSpreadCapCents))              # spread_score 100 at or above
              score_weights:
                balance: \(r.srpanBalanceWeight)
                total: \(r.srpanTotalWeight)
                spread: \(r.srpanSpreadWeight)

            calendar:
              # NYSE full-day closures beyond the regular holiday rules (YYYY-MM-DD).
              extra_closures: \(list(r.extraClosures.map(\.description)))

            """
    }

    /// Parses a rules file's text on top of the defaults.
    public static func parse(_ yaml: String, file: String = "rules") throws(RulesError) -> Rules {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw RulesError(key: file, reason: "not valid YAML: \(error)")
        }
        var rules = Rules.default
        guard let node else { return rules }
        guard let top = node.mapping else { throw RulesError(key: file, reason: "expected a mapping at the top") }
        var reader = Reader(rules: rules)
        try reader.apply(top, path: "")
        rules = reader.rules
        try rules.validate()
        return rules
    }

    private struct Reader {
        var rules: Rules

        mutating func apply(_ map: Node.Mapping, path: String) throws(RulesError) {
            for (k, v) in map {
                guard let name = k.string else { throw RulesError(key: path + "?", reason: "keys must be strings") }
                let key = path.isEmpty ? name : path + "." + name
                try set(key, v)
            }
        }

        mutating func set(_ key: String, _ v: Node) throws(RulesError) {
            switch key {
            case "weights", "history", "grpan", "rwvap", "srpan", "srpan.score_weights", "calendar":
                guard let m = v.mapping else { throw RulesError(key: key, reason: "expected a mapping") }
                try apply(m, path: key)
            case "min_lot": rules.minLot = Int32(try int(key, v, 1...Int(Int32.max)))
            case "finra_venues": rules.finraVenues = try strings(key, v).map { $0.uppercased() }
            case "weights.lit": rules.weightLit = Int32(clamping: try thousandths(key, v))
            case "weights.finra_100_200": rules.weightRound100or200 = Int32(clamping: try thousandths(key, v))
            case "weights.finra_round_large": rules.weightRoundLarge = Int32(clamping: try thousandths(key, v))
            case "weights.finra_irregular": rules.weightIrregular = Int32(clamping: try thousandths(key, v))
            case "history.cap": rules.historyCap = try int(key, v, 0...Int(Int32.max))
            case "grpan.latest_prints": rules.latestPanPrints = try int(key, v, 1...1_000_000)
            case "grpan.minutes": rules.panMinutes = try ints(key, v)
            case "grpan.trading_days": rules.panTradingDays = try ints(key, v)
            case "grpan.concentration_range": rules.concentrationRangeTicks = try ticks(key, v, places: 4)
            case "rwvap.trading_days": rules.rwvapTradingDays = try ints(key, v)
            case "rwvap.extreme_multiplier":
                guard let text = v.scalar?.string, let d = ExactDecimal(text), d.scale <= 6 else {
                    throw RulesError(key: key, reason: "expected a positive decimal with at most 6 decimals")
                }
                rules.extremeMultiplier = d
            case "rwvap.min_prints": rules.rwvapMinPrints = try int(key, v, 1...1_000_000)
            case "srpan.candidates": rules.srpanCandidates = try int(key, v, 1...SRPANScratch.capacity)
            case "srpan.min_candidates": rules.srpanMinCandidates = try int(key, v, 1...SRPANScratch.capacity)
            case "srpan.full_weight_sizes": rules.srpanFullWeightSizes = try ints(key, v).map { Int32(clamping: $0) }
            case "srpan.full_weight": rules.srpanFullWeight = try thousandths(key, v)
            case "srpan.other_weight": rules.srpanOtherWeight = try thousandths(key, v)
            case "srpan.confidence_range": rules.srpanConfidenceCents = try ticks(key, v, places: 2)
            case "srpan.separation": rules.srpanSeparationCents = try ticks(key, v, places: 2)
            case "srpan.spread_floor": rules.srpanSpreadFloorCents = try ticks(key, v, places: 2)
            case "srpan.spread_cap": rules.srpanSpreadCapCents = try ticks(key, v, places: 2)
            case "srpan.score_weights.balance": rules.srpanBalanceWeight = try double(key, v)
            case "srpan.score_weights.total": rules.srpanTotalWeight = try double(key, v)
            case "srpan.score_weights.spread": rules.srpanSpreadWeight = try double(key, v)
            case "calendar.extra_closures":
                rules.extraClosures = try strings(key, v).map { (s) throws(RulesError) -> CivilDate in
                    guard let d = CivilDate(iso: s) else {
                        throw RulesError(key: key, reason: "\"\(s)\" is not a YYYY-MM-DD date")
                    }
                    return d
                }
            default:
                throw RulesError(key: key, reason: "unknown key (see `deeper rules` for every key)")
            }
        }

        func scalarText(_ key: String, _ v: Node) throws(RulesError) -> String {
            guard let s = v.scalar?.string else { throw RulesError(key: key, reason: "expected a single value") }
            return s
        }

        func int(_ key: String, _ v: Node, _ allowed: ClosedRange<Int>) throws(RulesError) -> Int {
            let s = try scalarText(key, v)
            guard let n = Int(s), allowed.contains(n) else {
                throw RulesError(key: key, reason: "expected a whole number in \(allowed.lowerBound)...\(allowed.upperBound), got \"\(s)\"")
            }
            return n
        }

        func ints(_ key: String, _ v: Node) throws(RulesError) -> [Int] {
            guard let seq = v.sequence else { throw RulesError(key: key, reason: "expected a list of whole numbers") }
            var out: [Int] = []
            for item in seq {
                guard let s = item.scalar?.string, let n = Int(s) else {
                    throw RulesError(key: key, reason: "expected a list of whole numbers")
                }
                out.append(n)
            }
            return out
        }

        func strings(_ key: String, _ v: Node) throws(RulesError) -> [String] {
            guard let seq = v.sequence else { throw RulesError(key: key, reason: "expected a list") }
            var out: [String] = []
            for item in seq {
                guard let s = item.scalar?.string else { throw RulesError(key: key, reason: "expected a list of values") }
                out.append(s)
            }
            return out
        }

        func double(_ key: String, _ v: Node) throws(RulesError) -> Double {
            let s = try scalarText(key, v)
            guard let d = Double(s), d.isFinite, d >= 0 else {
                throw RulesError(key: key, reason: "expected a non-negative number, got \"\(s)\"")
            }
            return d
        }

        /// A decimal with at most `places` decimals, as an integer of that many places.
        func ticks(_ key: String, _ v: Node, places: Int) throws(RulesError) -> Int64 {
            let s = try scalarText(key, v)
            guard let d = ExactDecimal(s), d.scale <= places, d.mantissa < 1_000_000_000_000 else {
                throw RulesError(key: key, reason: "expected a non-negative decimal with at most \(places) decimals, got \"\(s)\"")
            }
            var m = d.mantissa
            for _ in d.scale..<places { m *= 10 }
            return m
        }

        func thousandths(_ key: String, _ v: Node) throws(RulesError) -> Int64 {
            try ticks(key, v, places: 3)
        }
    }
}
