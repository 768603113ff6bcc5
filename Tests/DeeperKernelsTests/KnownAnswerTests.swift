import Testing

@testable import DeeperKernels

// Known answers, each worked out by hand from docs/SPEC.md in the comments, on both the fast path
// (`KernelWorkspace`) and the reference (`ReferenceKernels`).
//
// Dates are ordinary weeks with no holiday: 2025-03-10..14 (Mon–Fri, EDT: the 09:30 ET open is
// 13:30Z) and 2025-11-17..21 (EST: the open is 14:30Z). Prints are on a lit venue with 100
// shares unless a comment says otherwise. Prices in ticks of $0.0001: 25.00 = 250000.

// MARK: - Helpers

/// Checks a GRPAN window's mode, concentration, print count and real-lot count.
private func expectWindow(
    _ w: GRPANWindowMetrics, _ price: String?, concentration: Double?, count: Int, lots: Int64,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(w.grpanPrice == price.map(ticks), "grpan_price", sourceLocation: sourceLocation)
    #expect(
        isClose(w.concentrationPercent, concentration), "concentration \(String(describing: w.concentrationPercent))",
        sourceLocation: sourceLocation)
    #expect(w.printCount == count, "print_count", sourceLocation: sourceLocation)
    #expect(w.realLotCount == lots, "real_lot_count", sourceLocation: sourceLocation)
}

/// Checks an empty GRPAN window: everything null, counts 0.
private func expectEmptyWindow(_ w: GRPANWindowMetrics, sourceLocation: SourceLocation = #_sourceLocation) {
    expectWindow(w, nil, concentration: nil, count: 0, lots: 0, sourceLocation: sourceLocation)
    #expect(w.deviationVsLast == nil, sourceLocation: sourceLocation)
    #expect(w.deviationVsPrevWindow == nil, sourceLocation: sourceLocation)
}

/// Checks an RWVAP window.
private func expectRWVAP(
    _ w: RWVAPWindowMetrics, _ status: RWVAPStatus, rwvap: Double?, volume: Int64, effective: Int, excluded: Int,
    excludedVolume: Int64, ratio: Double, deviation: Double?, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(w.status == status, sourceLocation: sourceLocation)
    #expect(isClose(w.rwvap, rwvap), "rwvap \(String(describing: w.rwvap))", sourceLocation: sourceLocation)
    #expect(w.totalVolume == volume, "total_volume", sourceLocation: sourceLocation)
    #expect(w.effectivePrintCount == effective, "effective_print_count", sourceLocation: sourceLocation)
    #expect(w.excludedPrintCount == excluded, "excluded_print_count", sourceLocation: sourceLocation)
    #expect(w.excludedVolume == excludedVolume, "excluded_volume", sourceLocation: sourceLocation)
    #expect(isClose(w.excludedVolumeRatio, ratio), "ratio \(w.excludedVolumeRatio)", sourceLocation: sourceLocation)
    #expect(
        isClose(w.deviationVsLast, deviation), "deviation \(String(describing: w.deviationVsLast))",
        sourceLocation: sourceLocation)
}

/// Checks the SRPAN numbers.
private func expectSRPAN(
    _ s: SRPANMetrics, g1: String?, conf1: Double, g2: String?, conf2: Double, spread: Double,
    direction: SRPANDirection, balance: Double, total: Double, spreadScore: Double, score: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(s.grpan1 == g1.map(ticks), "grpan1", sourceLocation: sourceLocation)
    #expect(isClose(s.grpan1Conf, conf1), "grpan1_conf \(s.grpan1Conf)", sourceLocation: sourceLocation)
    #expect(s.grpan2 == g2.map(ticks), "grpan2", sourceLocation: sourceLocation)
    #expect(isClose(s.grpan2Conf, conf2), "grpan2_conf \(s.grpan2Conf)", sourceLocation: sourceLocation)
    #expect(isClose(s.spread, spread), "spread \(s.spread)", sourceLocation: sourceLocation)
    #expect(s.direction == direction, sourceLocation: sourceLocation)
    #expect(isClose(s.balanceScore, balance), "balance_score \(s.balanceScore)", sourceLocation: sourceLocation)
    #expect(isClose(s.totalScore, total), "total_score \(s.totalScore)", sourceLocation: sourceLocation)
    #expect(isClose(s.spreadScore, spreadScore), "spread_score \(s.spreadScore)", sourceLocation: sourceLocation)
    #expect(isClose(s.srpanScore, score), "srpan_score \(s.srpanScore)", sourceLocation: sourceLocation)
}

/// Prints one second apart from 2025-03-14T14:00:00Z (a Friday, after the open), each `(price, size)`
/// on a lit venue.
private func fridayRun(_ prices: [(String, Int32)]) -> [TestPrint] {
    fridayRun(prices.map { ($0.0, $0.1, "NYSE") })
}

/// Prints one second apart from 2025-03-14T14:00:00Z, each `(price, size, venue)`.
private func fridayRun(_ prints: [(String, Int32, String)]) -> [TestPrint] {
    let start = instant("2025-03-14T14:00:00Z")
    return prints.enumerated().map { i, p in TestPrint(start + Int64(i) * Nanos.perSecond, p.0, p.1, p.2) }
}

@Suite("Known answers, fast and reference")
struct KnownAnswerTests {
    // MARK: - Eligibility and weights (SPEC §2)

    @Test func weightsFollowVenueAndSize() {
        let t = "2025-03-12T14:00:00Z"
        let store = makeStore([
            (
                "TEST",
                [
                    TestPrint(t, "25", 37, "NYSE"),  // lit, any size → 1.0
                    TestPrint(t, "25", 100, "FNRA"),  // FINRA 100 → 1.0
                    TestPrint(t, "25", 200, ""),  // unknown 200 → 1.0
                    TestPrint(t, "25", 300, "fnra"),  // FINRA (any case) 300 → 0.4
                    TestPrint(t, "25", 1500, ""),  // unknown, whole hundreds ≥ 300 → 0.4
                    TestPrint(t, "25", 150, "FNRA"),  // irregular → 0.2
                    TestPrint(t, "25", 20, ""),  // exactly min_lot: eligible, irregular → 0.2
                    TestPrint(t, "25", 250, "FNRA"),  // irregular → 0.2
                    TestPrint(t, "25", 19, "NYSE"),  // below min_lot: dropped
                    TestPrint(t, "25", 1000, "arca"),  // lit → 1.0
                ]
            )
        ])
        #expect(store.columns.weight == [1000, 1000, 1000, 400, 400, 200, 200, 200, 1000])
        #expect(store.ineligibleCount == 1)
        #expect(store.printCount == 9)
    }

    @Test(arguments: KernelPath.allCases) func ineligiblePrintsAreInvisible(_ path: KernelPath) {
        // The last input print has 19 shares: it is not last_price, not counted, and as_of = last
        // is the time of the last *eligible* print (15:01).
        let m = path.analyze([
            TestPrint("2025-03-14T15:00:00Z", "24.00"),
            TestPrint("2025-03-14T15:01:00Z", "24.10"),
            TestPrint("2025-03-14T15:02:00Z", "24.50", 19),
        ])
        #expect(m.asOf == instant("2025-03-14T15:01:00Z"))
        #expect(m.lastPrice == ticks("24.10"))
        #expect(m.tickCount == 2)
        expectWindow(m[.latestPan], "24.00", concentration: 50, count: 2, lots: 200)
    }

    // MARK: - GRPAN mode, ties and concentration (SPEC §6)

    @Test(arguments: KernelPath.allCases) func modeSumsExactWeights(_ path: KernelPath) {
        // W(24.90) = 5 × 0.2 = 1.0 (first print #0); W(25.00) = 0.4 + 0.4 = 0.8 (most shares);
        // W(25.10) = 1.0 lit (first print #3). Exact tie 24.90 vs 25.10 → 24.90 (earlier first print).
        // Concentration: |p − 24.90| ≤ 0.04 → the five 24.90 prints → 5/8 = 62.5 %.
        // real_lot_count = 150+300+20+50+500+37+999+250 = 2306. last_price 24.90 → deviation 0.
        let m = path.analyze(
            fridayRun([
                ("24.90", 150, ""), ("25.00", 300, "FNRA"), ("24.90", 20, ""), ("25.10", 50, "NYSE"),
                ("25.00", 500, ""), ("24.90", 37, "FNRA"), ("24.90", 999, ""), ("24.90", 250, "FNRA"),
            ]), detail: true)
        expectWindow(m[.latestPan], "24.90", concentration: 62.5, count: 8, lots: 2306)
        #expect(m[.latestPan].deviationVsLast == 0)
        #expect(
            m.topPrices(.latestPan) == [
                PriceWeight(price: ticks("24.90"), weight: 1000), PriceWeight(price: ticks("25.10"), weight: 1000),
                PriceWeight(price: ticks("25.00"), weight: 800),
            ])
    }

    @Test(arguments: KernelPath.allCases) func tieGoesToEarliestFirstPrintEvenIfOtherWasHitLast(_ path: KernelPath) {
        // 25.20 lit (1.0), 25.10 lit (1.0), 25.20 FNRA 400 (0.4), 25.10 unknown 300 (0.4):
        // W(25.20) = W(25.10) = 1.4. 25.10 was hit most recently, but 25.20's first print is
        // earlier → mode 25.20. Concentration 2/4 = 50 %. Lots 100+100+400+300 = 900.
        // deviation_vs_last = 25.10 − 25.20 = −0.10 = −1000 ticks.
        var prints = [
            TestPrint("2025-03-14T14:00:00Z", "25.20", 100, "NYSE"),
            TestPrint("2025-03-14T14:00:01Z", "25.10", 100, "NYSE"),
            TestPrint("2025-03-14T14:00:02Z", "25.20", 400, "FNRA"),
            TestPrint("2025-03-14T14:00:03Z", "25.10", 300, ""),
        ]
        var m = path.analyze(prints)
        expectWindow(m[.latestPan], "25.20", concentration: 50, count: 4, lots: 900)
        expectWindow(m[.pan10m], "25.20", concentration: 50, count: 4, lots: 900)
        #expect(m[.latestPan].deviationVsLast == -1000)

        // One more irregular print (0.2) at 25.10 breaks the tie exactly: 1.6 > 1.4 → 25.10,
        // concentration 3/5 = 60 %, lots 1050.
        prints.append(TestPrint("2025-03-14T14:00:04Z", "25.10", 150, "FNRA"))
        m = path.analyze(prints)
        expectWindow(m[.latestPan], "25.10", concentration: 60, count: 5, lots: 1050)
        #expect(m[.latestPan].deviationVsLast == 0)
    }

    @Test(arguments: KernelPath.allCases) func concentrationBandIsInclusiveAtFourCents(_ path: KernelPath) {
        // Mode 25.00 (W = 3). In the band: 25.00 ×3, 24.96 and 25.04 (exactly ±0.04); out:
        // 25.0401 and 24.9599 (±0.0401). 5/7 = 71.428571… %.
        // deviation_vs_last = 24.9599 − 25.00 = −0.0401 = −401 ticks.
        let m = path.analyze(
            fridayRun([
                ("25.00", 100), ("25.00", 100), ("25.00", 100), ("24.96", 100), ("25.04", 100), ("25.0401", 100),
                ("24.9599", 100),
            ]))
        expectWindow(m[.latestPan], "25.00", concentration: 500.0 / 7.0, count: 7, lots: 700)
        #expect(m[.latestPan].deviationVsLast == -401)
    }

    @Test(arguments: KernelPath.allCases) func latestPanIsTheLastFifteenPrints(_ path: KernelPath) {
        // 9 × 24.50, then 5 × 24.60, then 6 × 24.70, one second apart (all within 10 minutes).
        // latest_pan = 4 × 24.50 + 5 × 24.60 + 6 × 24.70 → 24.70 (W 6), concentration 6/15 = 40 %.
        // pan_10m = all 20 → 24.50 (W 9), concentration 9/20 = 45 %,
        //   deviation_vs_prev_window = 24.50 − 24.70 = −2000 ticks, deviation_vs_last = +2000.
        // pan_30m = the same 20 prints → deviation_vs_prev_window 0.
        let prints =
            printRun(from: "2025-03-14T14:00:00Z", count: 9, "24.50")
            + printRun(from: "2025-03-14T14:00:09Z", count: 5, "24.60")
            + printRun(from: "2025-03-14T14:00:14Z", count: 6, "24.70")
        let m = path.analyze(prints)
        expectWindow(m[.latestPan], "24.70", concentration: 40, count: 15, lots: 1500)
        #expect(m[.latestPan].deviationVsLast == 0)
        #expect(m[.latestPan].deviationVsPrevWindow == nil)
        expectWindow(m[.pan10m], "24.50", concentration: 45, count: 20, lots: 2000)
        #expect(m[.pan10m].deviationVsPrevWindow == -2000)
        #expect(m[.pan10m].deviationVsLast == 2000)
        #expect(m[.pan30m].deviationVsPrevWindow == 0)

        // Fewer than 15 prints: latest_pan is all of them (3 × 24.50).
        let few = path.analyze(Array(prints.prefix(3)))
        expectWindow(few[.latestPan], "24.50", concentration: 100, count: 3, lots: 300)
    }

    @Test(arguments: KernelPath.allCases) func tenMinuteWindowIncludesItsStart(_ path: KernelPath) {
        // as_of = last = 15:00:00. pan_10m is time ≥ 14:50:00: the print at exactly 14:50:00 is in,
        // the one 1 ns earlier is out. pan_10m = {24.20, 24.30} → tie → 24.20 (first);
        // pan_30m = all three → tie → 24.00.
        let prints = [
            TestPrint("2025-03-12T14:49:59.999999999Z", "24.00"),
            TestPrint("2025-03-12T14:50:00Z", "24.20"),
            TestPrint("2025-03-12T15:00:00Z", "24.30"),
        ]
        let m = path.analyze(prints)
        expectWindow(m[.pan10m], "24.20", concentration: 50, count: 2, lots: 200)
        expectWindow(m[.pan30m], "24.00", concentration: 100.0 / 3.0, count: 3, lots: 300)

        // 1 ns later as_of: 14:50:00 is now outside; pan_10m = {24.30}.
        let later = path.analyze(prints, asOf: .instant(instant("2025-03-12T15:00:00.000000001Z")))
        expectWindow(later[.pan10m], "24.30", concentration: 100, count: 1, lots: 100)
    }

    @Test(arguments: KernelPath.allCases) func emptyWindowsAreNullAndPrevWindowSkipsThem(_ path: KernelPath) {
        // Prints on Mon 2025-03-10; as_of Wed 2025-03-12 14:00Z (after Wednesday's 13:30Z open);
        // latest_pan shortened to 2 prints so that it differs from pan_3d.
        // History = all 4, last_price 25.05.
        // latest_pan = {25.10 (200 sh), 25.05} → tie → 25.10; band |p − 25.10| ≤ 0.04 → 1/2 = 50 %;
        //   lots 300; deviation_vs_last = 25.05 − 25.10 = −500.
        // pan_10m … pan_3h (≥ 11:00Z Wed) and pan_1d (≥ Wed 13:30Z): empty.
        // pan_3d (≥ Mon 13:30Z): all 4 → 25.00 (W 2), 2/4 = 50 %, lots 500, deviation_vs_last +500,
        //   deviation_vs_prev_window = 25.00 − 25.10 (latest_pan, skipping the 5 null windows) = −1000.
        // GOD = 25.05 − 25.00 (only pan_3d) = 0.05.
        // rwvap_1d (≥ Wed 13:30Z): empty → INSUFFICIENT_DATA. rwvap_3d (≥ Mon 13:30Z) and rwvap_5d
        // (≥ Thu 03-06 14:30Z, EST): 4 effective < 5 → COLLECTING, volume 500. ROD null.
        var rules = Rules()
        rules.latestPanPrints = 2
        let m = path.analyze(
            [
                TestPrint("2025-03-10T15:00:00Z", "25.00"),
                TestPrint("2025-03-10T15:01:00Z", "25.00"),
                TestPrint("2025-03-10T15:02:00Z", "25.10", 200),
                TestPrint("2025-03-10T15:03:00Z", "25.05"),
            ], asOf: .instant(instant("2025-03-12T14:00:00Z")), rules: rules)
        #expect(m.asOf == instant("2025-03-12T14:00:00Z"))
        #expect(m.lastPrice == ticks("25.05"))
        #expect(m.tickCount == 4)
        expectWindow(m[.latestPan], "25.10", concentration: 50, count: 2, lots: 300)
        #expect(m[.latestPan].deviationVsLast == -500)
        #expect(m[.latestPan].deviationVsPrevWindow == nil)
        for w in [GRPANWindow.pan10m, .pan30m, .pan1h, .pan3h, .pan1d] {
            expectEmptyWindow(m[w])
        }
        expectWindow(m[.pan3d], "25.00", concentration: 50, count: 4, lots: 500)
        #expect(m[.pan3d].deviationVsLast == 500)
        #expect(m[.pan3d].deviationVsPrevWindow == -1000)
        #expect(isClose(m.god, 0.05))
        expectRWVAP(
            m[.rwvap1d], .insufficientData, rwvap: nil, volume: 0, effective: 0, excluded: 0, excludedVolume: 0,
            ratio: 0, deviation: nil)
        for w in [RWVAPWindow.rwvap3d, .rwvap5d] {
            expectRWVAP(
                m[w], .collecting, rwvap: nil, volume: 500, effective: 4, excluded: 0, excludedVolume: 0, ratio: 0,
                deviation: nil)
        }
        #expect(m.rod == nil)
        #expect(m.srpan == .empty)
    }

    @Test(arguments: KernelPath.allCases) func godIgnoresLatestPan(_ path: KernelPath) {
        // Prints of March, as_of in November: only latest_pan (the last 15 prints, regardless of
        // time) has prints; every timed window is empty → GOD null; every RWVAP window is empty → ROD null.
        let m = path.analyze(
            printRun(from: "2025-03-10T15:00:00Z", count: 3, "25.00"),
            asOf: .instant(instant("2025-11-17T15:00:00Z")))
        #expect(m.lastPrice == ticks("25.00"))
        expectWindow(m[.latestPan], "25.00", concentration: 100, count: 3, lots: 300)
        for w in GRPANWindow.allCases where w != .latestPan { expectEmptyWindow(m[w]) }
        #expect(m.god == nil)
        #expect(m.rod == nil)
        #expect(m[.rwvap5d].status == .insufficientData)
    }

    @Test(arguments: KernelPath.allCases) func tradingDayWindows(_ path: KernelPath) {
        // Week of 2025-11-17 (EST, open 14:30Z); as_of = last = Fri 11-21 15:00Z.
        // start_of(1) = Fri 14:30Z, start_of(3) = Wed 11-19 14:30Z, start_of(5) = Mon 11-17 14:30Z.
        let prints = [
            TestPrint("2025-11-14T20:00:00Z", "25.00"),  // #1 previous Friday: outside 5d
            TestPrint("2025-11-17T14:29:59Z", "25.00"),  // #2 before Monday's open: outside 5d
            TestPrint("2025-11-17T14:30:00Z", "25.10"),  // #3 at Monday's open: in 5d
            TestPrint("2025-11-19T14:29:59Z", "25.20"),  // #4 in 5d, not 3d
            TestPrint("2025-11-19T14:30:00Z", "25.30"),  // #5 in 3d
            TestPrint("2025-11-21T14:29:59Z", "25.40"),  // #6 in 3d, not 1d
            TestPrint("2025-11-21T14:30:00Z", "25.50"),  // #7 in 1d
            TestPrint("2025-11-21T15:00:00Z", "25.60"),  // #8 in 1d; as_of
        ]
        // latest_pan = all 8 → 25.00 (W 2). pan_10m (≥ 14:50Z) = {#8} → 25.60; pan_30m (≥ 14:30Z) =
        // {#7, #8} → 25.50; pan_1h (≥ 14:00Z) and pan_3h (≥ 12:00Z) = {#6, #7, #8} → 25.40;
        // pan_1d = {#7, #8} → 25.50; pan_3d = {#5 … #8} → 25.30.
        // GOD = 25.60 − (25.60 + 25.50 + 25.40 + 25.40 + 25.50 + 25.30) / 6 = 25.60 − 25.45 = 0.15.
        // rwvap_1d: 2 prints → COLLECTING; rwvap_3d: 4 → COLLECTING; rwvap_5d: #3 … #8 → OK,
        // (25.10 + 25.20 + 25.30 + 25.40 + 25.50 + 25.60) / 6 = 152.10 / 6 = 25.35,
        // deviation = ROD = 25.60 − 25.35 = 0.25.
        let m = path.analyze(prints)
        #expect(m.asOf == instant("2025-11-21T15:00:00Z"))
        expectWindow(m[.latestPan], "25.00", concentration: 25, count: 8, lots: 800)
        expectWindow(m[.pan10m], "25.60", concentration: 100, count: 1, lots: 100)
        expectWindow(m[.pan30m], "25.50", concentration: 50, count: 2, lots: 200)
        expectWindow(m[.pan1h], "25.40", concentration: 100.0 / 3.0, count: 3, lots: 300)
        expectWindow(m[.pan3h], "25.40", concentration: 100.0 / 3.0, count: 3, lots: 300)
        expectWindow(m[.pan1d], "25.50", concentration: 50, count: 2, lots: 200)
        expectWindow(m[.pan3d], "25.30", concentration: 25, count: 4, lots: 400)
        #expect(isClose(m.god, 0.15))
        expectRWVAP(
            m[.rwvap1d], .collecting, rwvap: nil, volume: 200, effective: 2, excluded: 0, excludedVolume: 0, ratio: 0,
            deviation: nil)
        expectRWVAP(
            m[.rwvap3d], .collecting, rwvap: nil, volume: 400, effective: 4, excluded: 0, excludedVolume: 0, ratio: 0,
            deviation: nil)
        expectRWVAP(
            m[.rwvap5d], .ok, rwvap: 25.35, volume: 600, effective: 6, excluded: 0, excludedVolume: 0, ratio: 0,
            deviation: 0.25)
        #expect(isClose(m.rod, 0.25))

        // as_of Wed 11-19 14:00Z is before Wednesday's open: the anchor day is Tue 11-18.
        // History = #1 … #3 (#4 is at 14:29:59, after as_of). start_of(1) = Tue 14:30Z → pan_1d empty;
        // start_of(3) = Fri 11-14 14:30Z → pan_3d = {#1, #2, #3} → 25.00 (W 2), 2/3 within 0.04
        // of 25.00 (25.10 is 0.10 away). start_of(5) = Wed 11-12 14:30Z → rwvap_5d has all 3.
        let early = path.analyze(prints, asOf: .instant(instant("2025-11-19T14:00:00Z")))
        #expect(early.tickCount == 3)
        #expect(early.lastPrice == ticks("25.10"))
        expectEmptyWindow(early[.pan1d])
        expectWindow(early[.pan3d], "25.00", concentration: 200.0 / 3.0, count: 3, lots: 300)
        #expect(early[.rwvap1d].status == .insufficientData)
        #expect(early[.rwvap5d].status == .collecting)
        #expect(early[.rwvap5d].effectivePrintCount == 3)
    }

    // MARK: - RWVAP (SPEC §7)

    /// Friday 2025-03-14 after the open, so all three RWVAP windows hold the same prints.
    private static let rwvapPrints = fridayRun([
        ("25.00", 100), ("25.10", 200), ("25.20", 1000), ("30.00", 1001), ("25.30", 300), ("25.40", 400),
    ])

    @Test(arguments: KernelPath.allCases) func rwvapExcludesAboveThresholdOnly(_ path: KernelPath) {
        // avg_adv 1000 × 1.0 → threshold 1000: size 1000 is effective (not > 1000), 1001 is excluded.
        // Effective: 25.00×100 + 25.10×200 + 25.20×1000 + 25.30×300 + 25.40×400
        //   = 2500 + 5020 + 25200 + 7590 + 10160 = 50470 over 2000 shares → 25.235. 5 prints → OK.
        // excluded_volume_ratio = 1001 / 3001. deviation = ROD = 25.40 − 25.235 = 0.165.
        // GRPAN ignores the threshold: real_lot_count = 3001.
        let m = path.analyze(Self.rwvapPrints, avgADV: "1000")
        for w in RWVAPWindow.allCases {
            expectRWVAP(
                m[w], .ok, rwvap: 25.235, volume: 2000, effective: 5, excluded: 1, excludedVolume: 1001,
                ratio: 1001.0 / 3001.0, deviation: 0.165)
            #expect(m[w].avgADV == 1000)
            #expect(m[w].extremeThreshold == 1000)
        }
        #expect(isClose(m.rod, 0.165))
        #expect(m[.latestPan].realLotCount == 3001)

        // A fractional threshold 1000.5: 1001 > 1000.5 is still excluded; the threshold is reported as is.
        let half = path.analyze(Self.rwvapPrints, avgADV: "1000.5")
        #expect(half[.rwvap1d].excludedPrintCount == 1)
        #expect(half[.rwvap1d].extremeThreshold == 1000.5)

        // The multiplier applies: 500 × 2 = 1000 → same as the first case.
        var rules = Rules()
        rules.extremeMultiplier = ExactDecimal("2")!
        let doubled = path.analyze(Self.rwvapPrints, avgADV: "500", rules: rules)
        #expect(doubled[.rwvap3d] == m[.rwvap3d].with(avgADV: 500))

        // avg_adv 1001: nothing excluded. 50470 + 30.00×1001 = 80500 over 3001 shares.
        let all = path.analyze(Self.rwvapPrints, avgADV: "1001")
        expectRWVAP(
            all[.rwvap5d], .ok, rwvap: 80500.0 / 3001.0, volume: 3001, effective: 6, excluded: 0, excludedVolume: 0,
            ratio: 0, deviation: 25.40 - 80500.0 / 3001.0)
    }

    @Test(arguments: KernelPath.allCases) func rwvapCollectingAndInsufficientData(_ path: KernelPath) {
        // The first 5 prints with threshold 1000: 4 effective (100+200+1000+300 = 1600 shares),
        // 1 excluded (1001) → COLLECTING, rwvap and deviation null, ratio 1001/2601.
        let collecting = path.analyze(Array(Self.rwvapPrints.prefix(5)), avgADV: "1000")
        expectRWVAP(
            collecting[.rwvap1d], .collecting, rwvap: nil, volume: 1600, effective: 4, excluded: 1,
            excludedVolume: 1001, ratio: 1001.0 / 2601.0, deviation: nil)
        #expect(collecting.rod == nil)

        // Threshold 50 excludes every print (all ≥ 100 shares): none effective → INSUFFICIENT_DATA,
        // excluded_volume_ratio = 1.
        let none = path.analyze(Array(Self.rwvapPrints.prefix(2)), avgADV: "50")
        expectRWVAP(
            none[.rwvap1d], .insufficientData, rwvap: nil, volume: 0, effective: 0, excluded: 2, excludedVolume: 300,
            ratio: 1, deviation: nil)
        #expect(none[.rwvap1d].extremeThreshold == 50)
    }

    @Test(arguments: KernelPath.allCases) func unknownAvgADVExcludesNothing(_ path: KernelPath) {
        // No avg_adv: threshold null, even 2147483647 shares are effective.
        // (25.00 × 2147483647 + 25.10 × 400) / 2147484047 = 25 + 0.10 × 400 / 2147484047.
        let prices: [(String, Int32)] = [("25.00", 2_147_483_647)] + Array(repeating: ("25.10", 100), count: 4)
        let m = path.analyze(fridayRun(prices))
        let expected = 25.0 + 40.0 / 2_147_484_047.0
        expectRWVAP(
            m[.rwvap1d], .ok, rwvap: expected, volume: 2_147_484_047, effective: 5, excluded: 0, excludedVolume: 0,
            ratio: 0, deviation: 25.10 - expected)
        #expect(m[.rwvap1d].avgADV == nil)
        #expect(m[.rwvap1d].extremeThreshold == nil)
    }

    @Test(arguments: KernelPath.allCases) func hugeSumsAreExact(_ path: KernelPath) {
        // 1000 prints of 2147483647 shares: first one at 99800.0001, then 999 at 99999.9999 (a span
        // of 1999998 ticks, inside the fast path's dense histogram).
        // Σ price·size ≈ 2.1e21 ticks·shares overflows Int64; in Int128 it is exact.
        // rwvap = (998000001 + 999 × 999999999) / 1000 ticks = 999997999.002 ticks = 99999.7999002;
        // deviation = 99999.9999 − 99999.7999002 = 0.1999998. Volume = 1000 × 2147483647.
        // Every GRPAN window's mode is 99999.9999 → GOD 0; pan_3h holds all 1000, 999 in the band.
        let size: Int32 = 2_147_483_647
        let prints =
            [TestPrint("2025-03-14T14:00:00Z", "99800.0001", size)]
            + printRun(from: "2025-03-14T14:00:01Z", count: 999, "99999.9999", size)
        let m = path.analyze(prints)
        expectRWVAP(
            m[.rwvap3d], .ok, rwvap: 99999.7999002, volume: 2_147_483_647_000, effective: 1000, excluded: 0,
            excludedVolume: 0, ratio: 0, deviation: 0.1999998)
        #expect(isClose(m.rod, 0.1999998))
        expectWindow(m[.pan3h], "99999.9999", concentration: 99.9, count: 1000, lots: 2_147_483_647_000)
        #expect(m.god == 0)

        // All 1000 at 99999.9999: the one division gives 99999.9999 exactly.
        let flat = path.analyze(printRun(from: "2025-03-14T14:00:00Z", count: 1000, "99999.9999", size))
        #expect(flat[.rwvap1d].rwvap == 99999.9999)
        #expect(flat[.rwvap1d].deviationVsLast == 0)
    }

    // MARK: - GOD and ROD (SPEC §8)

    @Test(arguments: KernelPath.allCases) func godAndRODAreMeansOverWindows(_ path: KernelPath) {
        // as_of = last = Fri 2025-03-14 17:30Z. Each window's oldest bucket outweighs the newer ones:
        //   pan_3d bucket: 6 × 25.50 on Wed/Thu; pan_1d bucket: 5 × 25.40 Fri 13:35–13:55Z;
        //   pan_3h: 4 × 25.30 15:00–15:30Z; pan_1h: 3 × 25.20 16:35–16:45Z;
        //   pan_30m: 2 × 25.10 17:05, 17:10Z; pan_10m: 1 × 25.00 at 17:30Z.
        // Modes 25.00, 25.10, 25.20, 25.30, 25.40, 25.50; latest_pan (last 15 = the Friday prints) → 25.40.
        // GOD = 25.00 − 151.50 / 6 = 25.00 − 25.25 = −0.25 (latest_pan's 25.40 would change it).
        // rwvap_1d = Friday's 15 prints: (25.00 + 2×25.10 + 3×25.20 + 4×25.30 + 5×25.40) / 15 = 379 / 15;
        // rwvap_3d = rwvap_5d = all 21: (379 + 6 × 25.50) / 21 = 532 / 21.
        // ROD = 25.00 − (379/15 + 2 × 532/21) / 3 = 25 − 7973/315 = −98/315 = −0.31111….
        var prints: [TestPrint] = []
        for t in [
            "2025-03-12T14:00:00Z", "2025-03-12T15:00:00Z", "2025-03-12T16:00:00Z",
            "2025-03-13T14:00:00Z", "2025-03-13T15:00:00Z", "2025-03-13T16:00:00Z",
        ] { prints.append(TestPrint(t, "25.50")) }
        for t in ["13:35", "13:40", "13:45", "13:50", "13:55"] {
            prints.append(TestPrint("2025-03-14T\(t):00Z", "25.40"))
        }
        for t in ["15:00", "15:10", "15:20", "15:30"] { prints.append(TestPrint("2025-03-14T\(t):00Z", "25.30")) }
        for t in ["16:35", "16:40", "16:45"] { prints.append(TestPrint("2025-03-14T\(t):00Z", "25.20")) }
        for t in ["17:05", "17:10"] { prints.append(TestPrint("2025-03-14T\(t):00Z", "25.10")) }
        prints.append(TestPrint("2025-03-14T17:30:00Z", "25.00"))

        let m = path.analyze(prints)
        let modes = ["25.40", "25.00", "25.10", "25.20", "25.30", "25.40", "25.50"]
        for (w, mode) in zip(GRPANWindow.allCases, modes) {
            #expect(m[w].grpanPrice == ticks(mode), "\(w.name)")
            #expect(m[w].deviationVsLast == ticks("25.00") - ticks(mode), "\(w.name)")
        }
        let prev: [Int64?] = [nil, -4000, 1000, 1000, 1000, 1000, 1000]
        for (w, p) in zip(GRPANWindow.allCases, prev) { #expect(m[w].deviationVsPrevWindow == p, "\(w.name)") }
        expectWindow(m[.pan30m], "25.10", concentration: 200.0 / 3.0, count: 3, lots: 300)
        expectWindow(m[.pan3d], "25.50", concentration: 6.0 / 21.0 * 100, count: 21, lots: 2100)
        #expect(isClose(m.god, -0.25))
        #expect(isClose(m[.rwvap1d].rwvap, 379.0 / 15.0))
        #expect(isClose(m[.rwvap3d].rwvap, 532.0 / 21.0))
        #expect(isClose(m[.rwvap5d].rwvap, 532.0 / 21.0))
        #expect(isClose(m.rod, -98.0 / 315.0))
    }

    // MARK: - SRPAN (SPEC §9)

    @Test(arguments: KernelPath.allCases) func srpanWithSecondCluster(_ path: KernelPath) {
        // Cents and V (size 100/200/300 → 1, other → 0.25):
        //   25.00: 100,100,200 → 3 | 25.01: 1 | 25.03: 500 sh → 0.25 | 25.04: 1
        //   25.07: 300,100 → 2 | 25.09: 150 sh → 0.25 | 25.10: 1 | 25.11: 1          T = 9.5
        // G1 = 25.00; band |c − G1| ≤ 3¢ = 3 + 1 + 0.25 = 4.25 → conf1 = 425 / 9.5 = 44.7368…
        // G2 candidates (≥ 6¢ from G1): 25.07, 25.09, 25.10, 25.11 → G2 = 25.07 (2).
        // G2 band: |c − 25.07| ≤ 3¢ and ≥ 6¢ from G1 = 25.07 + 25.09 + 25.10 = 3.25 (25.04 is within
        //   3¢ of G2 but only 4¢ from G1: out) → conf2 = 325 / 9.5 = 34.2105…
        // spread 0.07 UP; balance = 100 − 100/9.5; total = 750/9.5; spread_score = 100 × 1/24.
        let prices: [(String, Int32)] = [
            ("25.00", 100), ("25.00", 100), ("25.00", 200), ("25.01", 100), ("25.03", 500), ("25.04", 100),
            ("25.07", 300), ("25.07", 100), ("25.09", 150), ("25.10", 100), ("25.11", 100),
        ]
        let balance = 100 - 100 / 9.5
        let total = 750 / 9.5
        let spreadScore = 100.0 / 24
        let score = 0.6 * balance + 0.15 * total + 0.25 * spreadScore  // 66.5679824…
        let up = path.analyze(fridayRun(prices))
        expectSRPAN(
            up.srpan, g1: "25.00", conf1: 425 / 9.5, g2: "25.07", conf2: 325 / 9.5, spread: 0.07, direction: .up,
            balance: balance, total: total, spreadScore: spreadScore, score: score)
        #expect(isClose(score, 66.56798245614035))

        // Mirrored around 25.055 (c → 50.11 − c): same numbers, G2 below G1 → DOWN.
        let mirrored: [(String, Int32)] = [
            ("25.11", 100), ("25.11", 100), ("25.11", 200), ("25.10", 100), ("25.08", 500), ("25.07", 100),
            ("25.04", 300), ("25.04", 100), ("25.02", 150), ("25.01", 100), ("25.00", 100),
        ]
        let down = path.analyze(fridayRun(mirrored))
        expectSRPAN(
            down.srpan, g1: "25.11", conf1: 425 / 9.5, g2: "25.04", conf2: 325 / 9.5, spread: 0.07, direction: .down,
            balance: balance, total: total, spreadScore: spreadScore, score: score)
    }

    @Test(arguments: KernelPath.allCases) func srpanWithoutSecondCluster(_ path: KernelPath) {
        // 25.00 ×5, 25.02 ×2, 25.05 ×1 (all 100 sh): T = 8, G1 = 25.00, band = 5 + 2 = 7 → 87.5 %.
        // No cent is ≥ 6¢ from G1 (25.05 is 5¢) → grpan2 null, every other number 0, N/A.
        let m = path.analyze(
            fridayRun(Array(repeating: ("25.00", 100), count: 5) + [("25.02", 100), ("25.02", 100), ("25.05", 100)]))
        expectSRPAN(
            m.srpan, g1: "25.00", conf1: 87.5, g2: nil, conf2: 0, spread: 0, direction: .notApplicable, balance: 0,
            total: 0, spreadScore: 0, score: 0)
    }

    @Test(arguments: KernelPath.allCases) func srpanNeedsEightCandidates(_ path: KernelPath) {
        // 7 prints (25.00 ×4, 25.50 ×3) → empty. An 8th at 25.50 → 4 vs 4: G1 tie → 25.00 (first);
        // G2 = 25.50; conf 50 / 50; spread 0.50 ≥ 0.30 → 100; balance 100; total 100 → score 100.
        let seven = fridayRun(Array(repeating: ("25.00", 100), count: 4) + Array(repeating: ("25.50", 100), count: 3))
        #expect(path.analyze(seven).srpan == .empty)
        let eight = path.analyze(seven + [TestPrint("2025-03-14T14:00:07Z", "25.50")])
        expectSRPAN(
            eight.srpan, g1: "25.00", conf1: 50, g2: "25.50", conf2: 50, spread: 0.5, direction: .up, balance: 100,
            total: 100, spreadScore: 100, score: 100)
    }

    @Test(arguments: KernelPath.allCases) func srpanNeedsTwoDistinctCents(_ path: KernelPath) {
        // 10 prints that all round to 25.00 (24.995 ↑, 25.0049 ↓) → one cent → empty.
        let m = path.analyze(
            fridayRun(
                Array(repeating: ("25.00", 100), count: 4) + Array(repeating: ("24.995", 100), count: 3)
                    + Array(repeating: ("25.0049", 250), count: 3)))
        #expect(m.srpan == .empty)
        #expect(m.srpan.srpanScore == 0 && m.srpan.direction == .notApplicable)
    }

    @Test(arguments: KernelPath.allCases) func srpanRoundsCentsHalfUp(_ path: KernelPath) {
        // 25.005 ×4 → 25.01 (half up), 25.0049 ×3 → 25.00, 25.10 ×1. T = 8.
        // G1 = 25.01 (4); band {25.00, 25.01} = 7 → 87.5. G2 = 25.10 (9¢ away), band 1 → 12.5.
        // spread 0.09 → spread_score 100 × 3/24 = 12.5; balance 100 − 75 = 25; total 100.
        // score = 0.6 × 25 + 0.15 × 100 + 0.25 × 12.5 = 15 + 15 + 3.125 = 33.125.
        let m = path.analyze(
            fridayRun(
                Array(repeating: ("25.005", 100), count: 4) + Array(repeating: ("25.0049", 100), count: 3)
                    + [("25.10", 100)]))
        expectSRPAN(
            m.srpan, g1: "25.01", conf1: 87.5, g2: "25.10", conf2: 12.5, spread: 0.09, direction: .up, balance: 25,
            total: 100, spreadScore: 12.5, score: 33.125)
        #expect(m.srpan.grpan1 == 250_100)
    }

    @Test(arguments: KernelPath.allCases) func srpanTiesGoToFirstAppearance(_ path: KernelPath) {
        // 25.20, 25.00, 25.00, 25.20 (1 each), 25.50 ×4 at 50 sh (0.25 each). T = 5.
        // V(25.20) = V(25.00) = 2 → G1 = 25.20 (appears first). G2 candidates 25.00 (2), 25.50 (1)
        // → G2 = 25.00, DOWN, spread 0.20. conf1 = conf2 = 2/5 = 40. balance 100, total 80,
        // spread_score = 100 × 14/24; score = 60 + 12 + 25 × 14/24 = 86.58333….
        let g1Tie = path.analyze(
            fridayRun([
                ("25.20", 100), ("25.00", 100), ("25.00", 100), ("25.20", 100), ("25.50", 50), ("25.50", 50),
                ("25.50", 50), ("25.50", 50),
            ]))
        expectSRPAN(
            g1Tie.srpan, g1: "25.20", conf1: 40, g2: "25.00", conf2: 40, spread: 0.2, direction: .down, balance: 100,
            total: 80, spreadScore: 1400.0 / 24, score: 60 + 12 + 25 * 14.0 / 24)

        // 25.20, 25.50, 25.00, 25.00, 25.50, 25.20 (1 each), 25.90 ×2 at 50 sh. T = 6.5.
        // Three-way tie at 2 → G1 = 25.20. G2 candidates 25.50 (first at #1) and 25.00 (first at #2)
        // tie at 2 → G2 = 25.50, UP. spread 0.30 → spread_score 100 (at the cap).
        // conf1 = conf2 = 200/6.5; balance 100; total 400/6.5; score = 60 + 0.15 × 400/6.5 + 25.
        let g2Tie = path.analyze(
            fridayRun([
                ("25.20", 100), ("25.50", 100), ("25.00", 100), ("25.00", 100), ("25.50", 100), ("25.20", 100),
                ("25.90", 50), ("25.90", 50),
            ]))
        expectSRPAN(
            g2Tie.srpan, g1: "25.20", conf1: 200 / 6.5, g2: "25.50", conf2: 200 / 6.5, spread: 0.3, direction: .up,
            balance: 100, total: 400 / 6.5, spreadScore: 100, score: 60 + 0.15 * 400 / 6.5 + 25)
    }

    @Test(arguments: KernelPath.allCases) func srpanSpreadAtSeparationScoresZero(_ path: KernelPath) {
        // 25.00 ×5, 25.06 ×3: 25.06 is exactly 6¢ from G1 → a G2 candidate (inclusive) but outside G1's
        // 3¢ band. conf1 62.5, conf2 37.5, spread 0.06 → spread_score 0; balance 75; total 100;
        // score = 45 + 15 + 0 = 60.
        let m = path.analyze(
            fridayRun(Array(repeating: ("25.00", 100), count: 5) + Array(repeating: ("25.06", 100), count: 3)))
        expectSRPAN(
            m.srpan, g1: "25.00", conf1: 62.5, g2: "25.06", conf2: 37.5, spread: 0.06, direction: .up, balance: 75,
            total: 100, spreadScore: 0, score: 60)
    }

    @Test(arguments: KernelPath.allCases) func srpanUsesTheLastThirtyPrints(_ path: KernelPath) {
        // 15 × 26.00, then 20 × 25.00, then 10 × 25.50. Candidates = the last 30 (no 26.00): T = 30.
        // G1 = 25.00, conf1 = 200/3; G2 = 25.50, conf2 = 100/3; spread 0.50 → 100;
        // balance = 100 − 100/3; total 100; score = 0.6 × 200/3 + 15 + 25 = 80.
        let m = path.analyze(
            printRun(from: "2025-03-14T14:00:00Z", count: 15, "26.00")
                + printRun(from: "2025-03-14T14:00:15Z", count: 20, "25.00")
                + printRun(from: "2025-03-14T14:00:35Z", count: 10, "25.50"))
        expectSRPAN(
            m.srpan, g1: "25.00", conf1: 200.0 / 3, g2: "25.50", conf2: 100.0 / 3, spread: 0.5, direction: .up,
            balance: 200.0 / 3, total: 100, spreadScore: 100, score: 80)
    }

    // MARK: - History and as_of (SPEC §4, §5)

    @Test(arguments: KernelPath.allCases) func historyCapOfThree(_ path: KernelPath) {
        // 24.00, 24.00, 24.10, 24.20, 24.30 with cap 3: only 24.10, 24.20, 24.30 are visible →
        // tick_count 3, every window's mode 24.10 (three-way tie; uncapped it would be 24.00),
        // RWVAP 3 prints → COLLECTING, SRPAN empty.
        var rules = Rules()
        rules.historyCap = 3
        let m = path.analyze(
            fridayRun([("24.00", 100), ("24.00", 100), ("24.10", 100), ("24.20", 100), ("24.30", 100)]), rules: rules)
        #expect(m.tickCount == 3)
        #expect(m.lastPrice == ticks("24.30"))
        expectWindow(m[.latestPan], "24.10", concentration: 100.0 / 3, count: 3, lots: 300)
        expectWindow(m[.pan10m], "24.10", concentration: 100.0 / 3, count: 3, lots: 300)
        expectWindow(m[.pan3d], "24.10", concentration: 100.0 / 3, count: 3, lots: 300)
        expectRWVAP(
            m[.rwvap1d], .collecting, rwvap: nil, volume: 300, effective: 3, excluded: 0, excludedVolume: 0, ratio: 0,
            deviation: nil)
        #expect(m.srpan == .empty)
    }

    @Test(arguments: KernelPath.allCases) func historyCapOf150(_ path: KernelPath) {
        // 100 × 24.00 then 100 × 24.10, one second apart.
        // Cap 150: visible = 50 × 24.00 + 100 × 24.10 → mode 24.10, concentration 100/150;
        // rwvap = (50 × 24.00 + 100 × 24.10) / 150 = 3610 / 150 = 24.0666…; SRPAN's last 30 are all
        // 24.10 → one cent → empty.
        // Uncapped: 100 vs 100 → tie → 24.00 (first), concentration 100/200 = 50 %.
        let prints =
            printRun(from: "2025-03-14T14:00:00Z", count: 100, "24.00")
            + printRun(from: "2025-03-14T14:01:40Z", count: 100, "24.10")
        var rules = Rules()
        rules.historyCap = 150
        let capped = path.analyze(prints, rules: rules)
        #expect(capped.tickCount == 150)
        expectWindow(capped[.pan10m], "24.10", concentration: 200.0 / 3, count: 150, lots: 15000)
        expectWindow(capped[.latestPan], "24.10", concentration: 100, count: 15, lots: 1500)
        expectRWVAP(
            capped[.rwvap1d], .ok, rwvap: 3610.0 / 150, volume: 15000, effective: 150, excluded: 0, excludedVolume: 0,
            ratio: 0, deviation: 24.10 - 3610.0 / 150)
        #expect(capped.srpan == .empty)

        let uncapped = path.analyze(prints)
        #expect(uncapped.tickCount == 200)
        expectWindow(uncapped[.pan10m], "24.00", concentration: 50, count: 200, lots: 20000)
    }

    @Test(arguments: KernelPath.allCases) func asOfInstantHidesLaterPrints(_ path: KernelPath) {
        let prints = [
            TestPrint("2025-03-14T15:00:00Z", "24.00"),
            TestPrint("2025-03-14T15:01:00Z", "24.10"),
            TestPrint("2025-03-14T15:02:00Z", "24.20"),
        ]
        // as_of 15:01:30: history = the first two; last_price 24.10; pan_10m (≥ 14:51:30) = both → 24.00.
        let m = path.analyze(prints, asOf: .instant(instant("2025-03-14T15:01:30Z")))
        #expect(m.asOf == instant("2025-03-14T15:01:30Z"))
        #expect(m.lastPrice == ticks("24.10"))
        #expect(m.tickCount == 2)
        expectWindow(m[.pan10m], "24.00", concentration: 50, count: 2, lots: 200)

        // as_of exactly at a print's time includes it (time ≤ as_of).
        let at = path.analyze(prints, asOf: .instant(instant("2025-03-14T15:01:00Z")))
        #expect(at.tickCount == 2)
        #expect(at.lastPrice == ticks("24.10"))

        // as_of 15:25 (after every print): windows are measured from as_of, not from the last print:
        // pan_10m (≥ 15:15) is empty, pan_30m (≥ 14:55) has all three.
        let late = path.analyze(prints, asOf: .instant(instant("2025-03-14T15:25:00Z")))
        #expect(late.asOf == instant("2025-03-14T15:25:00Z"))
        #expect(late.tickCount == 3)
        expectEmptyWindow(late[.pan10m])
        expectWindow(late[.pan30m], "24.00", concentration: 100.0 / 3, count: 3, lots: 300)
        #expect(late[.pan30m].deviationVsPrevWindow == 0)  // latest_pan is also 24.00
    }

    @Test(arguments: KernelPath.allCases) func asOfLastIsTheLastPrint(_ path: KernelPath) {
        let m = path.analyze(fridayRun([("24.00", 100), ("24.10", 100), ("24.20", 100)]))
        #expect(m.asOf == instant("2025-03-14T14:00:02Z"))
        #expect(m.lastPrice == ticks("24.20"))
        #expect(m.tickCount == 3)
    }

    @Test(arguments: KernelPath.allCases) func noHistoryGivesNulls(_ path: KernelPath) {
        // as_of before the first print: no history → timestamp null, nulls and zeros everywhere,
        // RWVAP INSUFFICIENT_DATA still reporting avg_adv and its threshold, SRPAN empty.
        // Detail mode: top_prices present and empty.
        func expectNulls(_ m: SymbolMetrics, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(m.asOf == nil, sourceLocation: sourceLocation)
            #expect(m.lastPrice == nil, sourceLocation: sourceLocation)
            #expect(m.tickCount == 0, sourceLocation: sourceLocation)
            #expect(m.god == nil && m.rod == nil, sourceLocation: sourceLocation)
            for w in GRPANWindow.allCases {
                expectEmptyWindow(m[w], sourceLocation: sourceLocation)
                #expect(m.topPrices(w) == [], sourceLocation: sourceLocation)
            }
            for w in RWVAPWindow.allCases {
                expectRWVAP(
                    m[w], .insufficientData, rwvap: nil, volume: 0, effective: 0, excluded: 0, excludedVolume: 0,
                    ratio: 0, deviation: nil, sourceLocation: sourceLocation)
                #expect(m[w].avgADV == 5000, sourceLocation: sourceLocation)
                #expect(m[w].extremeThreshold == 5000, sourceLocation: sourceLocation)
            }
            #expect(m.srpan == .empty, sourceLocation: sourceLocation)
        }
        let prints = fridayRun([("24.00", 100), ("24.10", 100)])
        expectNulls(path.analyze(prints, avgADV: "5000", asOf: .instant(instant("2025-03-14T13:59:59Z")), detail: true))

        // A symbol whose prints are all ineligible has an empty range: the same with as_of = last.
        expectNulls(path.analyze(fridayRun([("24.00", 19), ("24.10", 5)]), avgADV: "5000", detail: true))
    }

    // MARK: - Detail mode

    @Test(arguments: KernelPath.allCases) func topPricesByWeightThenFirstPrint(_ path: KernelPath) {
        // W: 25.00 = 3 (lit ×3); 25.03 = 2 (lit ×2); 25.01 = 1 (lit, first #1);
        // 25.02 = 0.4 + 0.4 + 0.2 = 1 (FINRA 300, 400, 150; first #2); 25.06 = 1 (lit, first #8);
        // 25.04 = 0.4 (FINRA 500); 25.05 = 0.2 (unknown, 50 sh).
        // Top 5: 25.00, 25.03, then the three 1.0 prices by first print: 25.01, 25.02, 25.06.
        let testPrints = fridayRun([
            ("25.00", 100, "NYSE"), ("25.01", 100, "NYSE"), ("25.02", 300, "FNRA"), ("25.00", 100, "NYSE"),
            ("25.03", 100, "NYSE"), ("25.04", 500, "FNRA"), ("25.02", 400, "FNRA"), ("25.05", 50, ""),
            ("25.06", 100, "NYSE"), ("25.03", 100, "NYSE"), ("25.00", 100, "NYSE"), ("25.02", 150, "FNRA"),
        ])
        let top5 = [("25.00", 3000), ("25.03", 2000), ("25.01", 1000), ("25.02", 1000), ("25.06", 1000)].map {
            PriceWeight(price: ticks($0.0), weight: Int64($0.1))
        }
        let detailed = path.analyze(testPrints, detail: true)
        for w in GRPANWindow.allCases { #expect(detailed.topPrices(w) == top5, "\(w.name)") }
        #expect(detailed[.latestPan].grpanPrice == ticks("25.00"))

        let plain = path.analyze(testPrints)
        for w in GRPANWindow.allCases { #expect(plain.topPrices(w) == nil) }

        let store = makeStore([("TEST", testPrints)])
        let range = store.range(ofSymbol: 0)
        #expect(ReferenceKernels.topPrices(store.columns, window: range, limit: 2) == Array(top5.prefix(2)))
        #expect(
            ReferenceKernels.topPrices(store.columns, window: range, limit: 10)
                == top5 + [
                    PriceWeight(price: ticks("25.04"), weight: 400), PriceWeight(price: ticks("25.05"), weight: 200),
                ])
        #expect(ReferenceKernels.topPrices(store.columns, window: range.lowerBound..<range.lowerBound, limit: 5) == [])
    }

    // MARK: - Helpers

    @Test func historyHelperResolvesAsOfAndCap() {
        let store = makeStore([
            ("A", fridayRun([("24.00", 100), ("24.10", 100), ("24.20", 100), ("24.30", 100)])),
            ("B", fridayRun([("25.00", 100)])),
        ])
        let a = store.range(ofSymbol: 0)
        var rules = Rules()
        let all = ReferenceKernels.history(store.columns, range: a, asOf: .last, rules: rules)
        #expect(all.asOf == instant("2025-03-14T14:00:03Z") && all.range == a)
        let early = ReferenceKernels.history(
            store.columns, range: a, asOf: .instant(instant("2025-03-14T14:00:01Z")), rules: rules)
        #expect(early.asOf == instant("2025-03-14T14:00:01Z") && early.range == 0..<2)
        rules.historyCap = 3
        #expect(ReferenceKernels.history(store.columns, range: a, asOf: .last, rules: rules).range == 1..<4)
        let none = ReferenceKernels.history(
            store.columns, range: a, asOf: .instant(instant("2025-03-14T13:00:00Z")), rules: rules)
        #expect(none.asOf == nil && none.range.isEmpty)
        let b = store.range(ofSymbol: 1)
        #expect(ReferenceKernels.history(store.columns, range: b, asOf: .last, rules: rules).range == 4..<5)
    }
}

extension RWVAPWindowMetrics {
    /// A copy reporting a different `avg_adv` (everything else equal).
    fileprivate func with(avgADV: Double) -> RWVAPWindowMetrics {
        var copy = self
        copy.avgADV = avgADV
        return copy
    }
}
