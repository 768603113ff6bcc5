@testable import DeeperKernels
import Testing

/// The live worker's in-memory history: order, eligibility, weights, eviction, copy-on-write
/// snapshots, and the batch engine reading it exactly as it reads an offline `PrintStore`.
@Suite struct LiveHistoryTests {
    // MARK: - Appending

    @Test func appendsInOrder() {
        var h = LiveHistory(rules: .default)
        h.append(symbol: "AHL PRF", time: 10, price: 250_000, size: 100, venue: "NYSE")
        h.append(symbol: "GAINN", time: 11, price: 240_000, size: 200, venue: "")
        h.append(symbol: "AHL PRF", time: 12, price: 250_100, size: 300, venue: "fnra")
        h.append(symbol: "AHL PRF", time: 12, price: 250_200, size: 25, venue: "NYSE")

        #expect(h.symbols == ["AHL PRF", "GAINN"])
        #expect(h.count == 4)
        #expect(h.index(of: "GAINN") == 1)
        #expect(h.index(of: "gainn") == nil, "symbols are case-sensitive")
        #expect(h.venues == ["", "NYSE", "FNRA"])
        let a = h.columns(ofSymbol: "AHL PRF")
        #expect(a?.time == [10, 12, 12])
        #expect(a?.price == [250_000, 250_100, 250_200])
        #expect(a?.size == [100, 300, 25])
        #expect(a?.venue == [1, 2, 1])
        #expect(h.columns(ofSymbol: "GAINN")?.venue == [0])
        #expect(h.columns(ofSymbol: "NONE") == nil)
        let (columns, range) = h.history(ofSymbol: 0)
        #expect(range == 0..<3 && columns.count == 3)
        #expect(h.printCount(ofSymbol: 1) == 1)
    }

    @Test func outOfOrderPrintsLandInTimeOrderAndEqualTimesKeepArrivalOrder() {
        var h = LiveHistory(rules: .default)
        // The price tags arrival order.
        for (k, t) in [10, 30, 20, 30, 20, 5, 40, 20, 5].enumerated() {
            h.append(symbol: "S", time: Int64(t), price: Int64(k + 1), size: 100, venue: "NYSE")
        }
        let c = h.columns(ofSymbol: "S")
        #expect(c?.time == [5, 5, 10, 20, 20, 20, 30, 30, 40])
        #expect(c?.price == [6, 9, 1, 3, 5, 8, 2, 4, 7])
        // Every column moved together.
        #expect(c?.size.count == 9 && c?.venue.count == 9 && c?.weight.count == 9)
    }

    @Test func ineligiblePrintsAreCountedNotStored() {
        var rules = Rules()
        rules.minLot = 50
        var h = LiveHistory(rules: rules)
        h.append(symbol: "A", time: 1, price: 100, size: 49, venue: "NYSE")
        h.append(symbol: "A", time: 2, price: 100, size: 50, venue: "NYSE")
        h.append(symbol: "B", time: 3, price: 100, size: 1, venue: "")
        h.append(symbol: "A", time: 0, price: 100, size: 10, venue: "")
        #expect(h.ineligibleCount == 3)
        #expect(h.count == 1)
        #expect(h.columns(ofSymbol: "A")?.time == [2])
        // A symbol seen only through ineligible prints is still known, with no prints.
        #expect(h.symbols == ["A", "B"])
        #expect(h.columns(ofSymbol: "B")?.count == 0)
    }

    @Test func weightsMatchRules() {
        var rules = Rules()
        rules.finraVenues = ["FNRA", "XADF"]
        rules.weightIrregular = 150
        var h = LiveHistory(rules: rules)
        let venues = ["NYSE", "FNRA", "fnra", "", "xadf", "Arca"]
        let sizes: [Int32] = [20, 99, 100, 150, 200, 300, 350, 400, 1000, 1001, Int32.max]
        var expected: [Int32] = []
        var time: Int64 = 0
        for v in venues {
            for s in sizes {
                time += 1
                h.append(symbol: "W", time: time, price: 10_000, size: s, venue: v)
                expected.append(rules.grpanWeight(size: s, venueClass: rules.venueClass(of: v)))
            }
        }
        #expect(h.columns(ofSymbol: "W")?.weight == expected)
        // Spot checks, so that a bug shared with `grpanWeight` cannot hide.
        let w = h.columns(ofSymbol: "W")!.weight
        let n = sizes.count
        #expect(w[0] == 1000, "lit, 20 shares")
        #expect(w[n + 5] == 400, "FINRA, 300 shares")
        #expect(w[2 * n + 6] == 150, "fnra is FINRA; 350 is irregular")
        #expect(w[3 * n + 4] == 1000, "unknown venue, 200 shares")
        #expect(w[4 * n + 3] == 150, "xadf is FINRA under these rules; 150 is irregular")
        #expect(w[5 * n + 0] == 1000, "Arca is lit")
    }

    @Test func utf8AppendsEqualStringAppends() {
        var byString = LiveHistory(rules: .default)
        var byBytes = LiveHistory(rules: .default)
        let long = "A-VERY-LONG-SYMBOL-NAME"  // over 16 bytes: not cached, still correct
        let prints: [(String, Int64, Int32, String)] = [
            ("AHL PRF", 3, 100, "nyse"), ("GAINN", 1, 300, "FNRA"), ("AHL PRF", 2, 100, "NYSE"),
            ("GAINN", 2, 150, "fnra"), (long, 1, 200, ""), ("AHL PRF", 4, 10, "NYSE"), ("Gainn", 5, 100, "Nyse"),
            (long, 0, 200, "ARCA"), ("ABCDEFGH", 1, 100, "ARCA"), ("ABCDEFGHI", 1, 100, "ARCA"),
        ]
        for (k, p) in prints.enumerated() {
            byString.append(symbol: p.0, time: p.1, price: Int64(k), size: p.2, venue: p.3)
            Array(p.0.utf8).withUnsafeBytes { s in
                Array(p.3.utf8).withUnsafeBytes { v in
                    byBytes.append(symbolUTF8: s, time: p.1, price: Int64(k), size: p.2, venueUTF8: v)
                }
            }
        }
        #expect(byBytes.symbols == byString.symbols)
        #expect(byBytes.symbols.count == 6)
        #expect(byBytes.venues == byString.venues)
        #expect(byBytes.venues == ["", "NYSE", "FNRA", "ARCA"])
        #expect(byBytes.ineligibleCount == 1)
        for s in byString.symbols {
            let a = byString.columns(ofSymbol: s)!
            let b = byBytes.columns(ofSymbol: s)!
            #expect(a.time == b.time && a.price == b.price && a.size == b.size, "\(s)")
            #expect(a.venue == b.venue && a.weight == b.weight, "\(s)")
        }
        #expect(byBytes.columns(ofSymbol: "GAINN")?.weight == [400, 200])
    }

    // MARK: - Eviction

    @Test func evictionDropsExactlyThePrefixBeforeTheCutoff() {
        var h = LiveHistory(rules: .default)
        for t in 1...10 { h.append(symbol: "A", time: Int64(t), price: Int64(t), size: 100, venue: "") }
        h.append(symbol: "B", time: 3, price: 1, size: 100, venue: "")
        h.append(symbol: "B", time: 4, price: 1, size: 100, venue: "")
        h.append(symbol: "C", time: 5, price: 1, size: 100, venue: "")
        h.append(symbol: "C", time: 5, price: 2, size: 100, venue: "")

        h.evict(before: 5)
        #expect(h.columns(ofSymbol: "A")?.time == [5, 6, 7, 8, 9, 10], "time == cutoff is kept")
        #expect(h.columns(ofSymbol: "A")?.price == [5, 6, 7, 8, 9, 10])
        #expect(h.columns(ofSymbol: "B")?.count == 0)
        #expect(h.columns(ofSymbol: "C")?.price == [1, 2])
        #expect(h.symbols == ["A", "B", "C"], "emptied symbols stay known")
        #expect(h.count == 8)
        #expect(h.evictedBefore == 5)

        // Late prints: one older than the cutoff is dropped, one at it is inserted in order.
        h.append(symbol: "A", time: 4, price: 40, size: 100, venue: "")
        h.append(symbol: "A", time: 5, price: 50, size: 100, venue: "")
        #expect(h.staleCount == 1)
        #expect(h.columns(ofSymbol: "A")?.price == [5, 50, 6, 7, 8, 9, 10])
        #expect(h.count == 9)

        // An earlier cutoff changes nothing; a later one drops more.
        h.evict(before: 2)
        #expect(h.count == 9 && h.evictedBefore == 5)
        h.evict(before: 9)
        #expect(h.columns(ofSymbol: "A")?.time == [9, 10])
        #expect(h.columns(ofSymbol: "C")?.count == 0)
        #expect(h.count == 2)
        let (_, range) = h.history(ofSymbol: 0)
        #expect(range.count == 2)
    }

    /// Lazy eviction keeps a dead prefix only while it is small: memory stays within 25 % of
    /// the live prints.
    @Test func evictionCompactsLargeDeadPrefixes() {
        var h = LiveHistory(rules: .default)
        for t in 0..<1000 { h.append(symbol: "A", time: Int64(t), price: 1, size: 100, venue: "") }
        h.evict(before: 100)  // 100 dead vs 900 live: kept lazily
        #expect(h.starts[0] == 100 && h.storage[0].count == 1000)
        #expect(h.history(ofSymbol: 0).range == 100..<1000)
        for cutoff in stride(from: 110, through: 990, by: 10) {
            h.evict(before: Int64(cutoff))
            let live = 1000 - cutoff
            #expect(h.printCount(ofSymbol: 0) == live)
            #expect(h.starts[0] * 4 < live, "cutoff \(cutoff): dead prefix \(h.starts[0]) vs \(live) live")
            #expect(h.storage[0].time.first == Int64(cutoff - h.starts[0]))
        }
        h.evict(before: 5000)
        #expect(h.storage[0].count == 0 && h.storage[0].time.capacity == 0, "an emptied symbol frees its memory")
    }

    /// Random appends (in and out of order, with equal times) and evictions against a plain
    /// model: a stable sort of what is kept.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func randomAppendsAndEvictionsMatchModel(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var h = LiveHistory(rules: .default)
        let names = ["A", "B", "C", "D"]
        // (time, arrival) per symbol; sorted stably by time at the end.
        var model: [[(time: Int64, arrival: Int64)]] = Array(repeating: [], count: names.count)
        var cutoff = Int64.min
        var clock: Int64 = 1000
        for arrival in Int64(0)..<3000 {
            if rng.next() % 100 == 0 {
                let t = clock - Int64(rng.next() % 300)
                h.evict(before: t)
                cutoff = max(cutoff, t)
                for s in model.indices { model[s].removeAll { $0.time < cutoff } }
                continue
            }
            clock += Int64(rng.next() % 3)
            let late = rng.next() % 4 == 0 ? Int64(rng.next() % 200) : 0
            let t = clock - late
            let s = Int(rng.next() % UInt64(names.count))
            let size: Int32 = rng.next() % 10 == 0 ? 5 : 100
            h.append(symbol: names[s], time: t, price: arrival, size: size, venue: "")
            if size >= 20 && t >= cutoff { model[s].append((t, arrival)) }
        }
        var total = 0
        for (s, name) in names.enumerated() {
            let expected = model[s].enumerated().sorted {
                $0.element.time != $1.element.time ? $0.element.time < $1.element.time : $0.offset < $1.offset
            }.map(\.element)
            let c = h.columns(ofSymbol: name)!
            #expect(c.time == expected.map(\.time), "seed \(seed) symbol \(name)")
            #expect(c.price == expected.map(\.arrival), "seed \(seed) symbol \(name)")
            let (columns, range) = h.history(ofSymbol: h.index(of: name)!)
            #expect(Array(columns.price[range]) == expected.map(\.arrival))
            total += expected.count
        }
        #expect(h.count == total)
    }

    // MARK: - Copy-on-write

    @Test func snapshotIsUnchangedByLaterAppendsAndEvictions() {
        var h = LiveHistory(rules: .default)
        for t in 0..<50 {
            h.append(symbol: t % 2 == 0 ? "A" : "B", time: Int64(t), price: Int64(t), size: 100, venue: "NYSE")
        }
        h.evict(before: 4)  // leaves a lazy dead prefix in the shared storage
        let snapshot = h
        let before = snapshot.symbols.map { snapshot.columns(ofSymbol: $0)!.time }
        let ranges = (0..<snapshot.symbolCount).map { snapshot.history(ofSymbol: $0).range }

        h.append(symbol: "A", time: 100, price: 1, size: 100, venue: "NYSE")  // in order
        h.append(symbol: "B", time: 11, price: 1, size: 100, venue: "NYSE")  // out of order
        h.append(symbol: "C", time: 5, price: 1, size: 100, venue: "FNRA")  // new symbol, new venue
        h.evict(before: 30)  // compacts
        h.evict(before: 46)

        #expect(snapshot.symbols == ["A", "B"])
        #expect(snapshot.venues == ["", "NYSE"])
        #expect(snapshot.count == 46)
        #expect(snapshot.symbols.map { snapshot.columns(ofSymbol: $0)!.time } == before)
        #expect((0..<snapshot.symbolCount).map { snapshot.history(ofSymbol: $0).range } == ranges)
        #expect(snapshot.columns(ofSymbol: "A")!.time == Array(stride(from: 4, to: 50, by: 2)))
        // And the original moved on.
        #expect(h.columns(ofSymbol: "A")!.time == [46, 48, 100])
        #expect(h.columns(ofSymbol: "B")!.time == [47, 49])
        #expect(h.count == 5)
    }

    @Test func untouchedSymbolsStayShared() {
        var h = LiveHistory(rules: .default)
        for t in 0..<10 {
            h.append(symbol: "A", time: Int64(t), price: 1, size: 100, venue: "")
            h.append(symbol: "B", time: Int64(t), price: 1, size: 100, venue: "")
        }
        let snapshot = h
        h.append(symbol: "A", time: 10, price: 1, size: 100, venue: "")
        func base(_ a: [Int64]) -> UnsafeRawPointer? { a.withUnsafeBytes { $0.baseAddress } }
        #expect(base(h.storage[1].time) == base(snapshot.storage[1].time), "B was not copied")
        #expect(base(h.storage[0].time) != base(snapshot.storage[0].time), "A was copied")
    }

    // MARK: - Batch engine

    /// The engine on a history (out-of-order arrivals, ineligible prints, an evicted prefix)
    /// equals the engine on a `PrintStore` built from the same prints.
    @Test(arguments: [1, 3])
    func batchEngineOnHistoryEqualsEngineOnStore(threads: Int) {
        var rng = SplitMix64(seed: 20_250_312)
        let parameters = AnalysisParameters()
        let symbols = (0..<12).map { "SYM\($0)" }
        let venues = ["", "FNRA", "NSDQ", "arca", "EDGX"]
        let start = parameters.calendar.openInstant(of: CivilDate(year: 2025, month: 3, day: 10))
        var raw: [RawPrint] = []
        var clock = start
        for _ in 0..<600 {
            clock += Int64(rng.next() % 1_800) * Nanos.perSecond
            let late = rng.next() % 5 == 0 ? Int64(rng.next() % 7200) * Nanos.perSecond : 0
            let size: Int32 = [5, 100, 200, 300, 450, 1000, 37][Int(rng.next() % 7)]
            raw.append(
                RawPrint(
                    symbol: Int32(rng.next() % 11),  // SYM11 never trades
                    time: clock - late, price: 250_000 + Int64(rng.next() % 40) * 100, size: size,
                    venue: UInt16(rng.next() % UInt64(venues.count))))
        }
        // Some equal times across an out-of-order arrival.
        raw[100].time = raw[90].time
        raw[101].time = raw[90].time

        func histories(evictBefore cutoff: Int64?) -> (LiveHistory, PrintStore) {
            var h = LiveHistory(rules: parameters.rules)
            for s in symbols { _ = h.internSymbol(s) }
            for p in raw {
                h.append(
                    symbol: symbols[Int(p.symbol)], time: p.time, price: p.price, size: p.size,
                    venue: venues[Int(p.venue)])
            }
            var kept = raw
            if let cutoff {
                h.evict(before: cutoff)
                kept.removeAll { $0.time < cutoff }
            }
            return (h, PrintStore(prints: kept, symbols: symbols, venues: venues, rules: parameters.rules))
        }
        let engine = BatchEngine(threads: threads)
        for cutoff in [nil, start + 5 * Nanos.perHour] {
            let (history, store) = histories(evictBefore: cutoff)
            #expect(history.count == store.printCount)
            #expect(history.ineligibleCount == store.ineligibleCount || cutoff != nil)
            var requests = symbols.enumerated().map {
                SymbolRequest(storeIndex: $0.offset, avgADV: $0.offset % 3 == 0 ? nil : ExactDecimal("5000")!)
            }
            requests.append(SymbolRequest(storeIndex: nil, avgADV: nil))
            let live = engine.run(history: history, requests: requests, asOf: .last, parameters: parameters)
            let offline = engine.run(store: store, requests: requests, asOf: .last, parameters: parameters)
            #expect(live.count == requests.count)
            for i in requests.indices {
                #expect(live[i] == offline[i], "symbol \(i), cutoff \(String(describing: cutoff))")
            }
            // The comparison has teeth: most symbols have a history and a GRPAN price.
            #expect(live.filter { $0.asOf != nil }.count == 11)
        }
    }
}

/// A feed inventing venue names beyond the 16-bit id space degrades to the unknown venue
/// instead of stopping the worker.
@Suite struct LiveHistoryVenueOverflowTests {
    @Test func venuesBeyondSixteenBitsCountAsUnknown() {
        var history = LiveHistory(rules: .default)
        for i in 0..<Int(UInt16.max) { _ = history.internVenue("V\(i)") }
        #expect(history.venueOverflowCount == 0)
        #expect(history.internVenue("ONE MORE") == 0)
        #expect(history.venueOverflowCount == 1)
        #expect(history.internVenue("V17") != 0)  // known names keep their ids
        history.append(symbol: "AAA", time: 1, price: 250_000, size: 100, venue: "ANOTHER NEW ONE")
        #expect(history.count == 1)
        #expect(history.venueOverflowCount == 2)
    }
}
