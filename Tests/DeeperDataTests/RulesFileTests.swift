import DeeperData
import DeeperKernels
import Testing

@Suite struct RulesFileTests {
    /// `deeper rules` output parses back to exactly the defaults.
    @Test func renderedDefaultsParseBackToDefaults() throws {
        #expect(try RulesFile.parse(RulesFile.render()) == Rules.default)
    }

    /// A file changing every kind of value round-trips through render → parse.
    @Test func changedRulesRoundTrip() throws {
        var r = Rules()
        r.minLot = 50
        r.finraVenues = ["FNRA", "TRF"]
        r.weightIrregular = 150
        r.historyCap = 150
        r.panMinutes = [5, 15, 45, 120]
        r.concentrationRangeTicks = 250
        r.extremeMultiplier = ExactDecimal(mantissa: 15, scale: 1)
        r.srpanOtherWeight = 125
        r.srpanSpreadCapCents = 40
        r.srpanBalanceWeight = 0.5
        r.extraClosures = [CivilDate(year: 2030, month: 1, day: 2)]
        #expect(try RulesFile.parse(RulesFile.render(r)) == r)
    }

    @Test func partialFileKeepsOtherDefaults() throws {
        let r = try RulesFile.parse("weights:\n  finra_round_large: 0.5\nhistory:\n  cap: 150\n")
        var expected = Rules()
        expected.weightRoundLarge = 500
        expected.historyCap = 150
        #expect(r == expected)
        #expect(try RulesFile.parse("") == Rules.default)
    }

    @Test(arguments: [
        ("weights:\n  finra_irregulr: 0.3\n", "weights.finra_irregulr", "unknown key"),
        ("min_lot: twenty\n", "min_lot", "whole number"),
        ("min_lot: 0\n", "min_lot", "whole number"),
        ("weights:\n  lit: 1.0005\n", "weights.lit", "at most 3 decimals"),
        ("grpan:\n  minutes: [10, 30]\n", "grpan.minutes", "4 lengths"),
        ("grpan:\n  concentration_range: -0.04\n", "grpan.concentration_range", "decimal"),
        ("rwvap:\n  extreme_multiplier: 0\n", "rwvap.extreme_multiplier", "greater than 0"),
        ("srpan:\n  spread_cap: 0.05\n", "srpan.spread_cap", "greater than"),
        ("calendar:\n  extra_closures: [2025-02-30]\n", "calendar.extra_closures", "YYYY-MM-DD"),
        ("grpan: 5\n", "grpan", "mapping"),
        ("- just\n- a list\n", "rules", "mapping"),
        ("min_lot: [1\n", "rules", "YAML"),
    ])
    func badFilesNameTheKey(yaml: String, key: String, reason: String) {
        do {
            _ = try RulesFile.parse(yaml, file: "rules")
            Issue.record("expected an error for \(yaml)")
        } catch {
            #expect(error.key == key)
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }
}
