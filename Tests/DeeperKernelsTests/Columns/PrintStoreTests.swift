@testable import DeeperKernels
import Testing

/// `PrintStore`'s counting sort against a plain grouping: per symbol (in id order), its eligible
/// prints sorted by time, equal times in input order, with the weight of `Rules.grpanWeight`.
@Suite struct PrintStoreTests {
    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7])
    func groupsAndSortsLikeAPlainStableSort(seed: UInt64) {
        var rng = SplitMix64(seed: seed &* 1_000_003)
        let symbols = (0..<Int(rng.next() % 6) + 1).map { "S\($0)" }
        let venues = ["", "NSDQ", "FNRA"]
        var rules = Rules()
        rules.minLot = 20
        let count = Int(rng.next() % 400)
        // Mostly time-ordered, like a feed, with some symbols shuffled and many equal times.
        let shuffled = Set(symbols.indices.filter { _ in rng.next() % 2 == 0 })
        var clock: Int64 = 1_000
        let prints = (0..<count).map { _ -> RawPrint in
            let symbol = Int32(rng.next() % UInt64(symbols.count))
            clock += Int64(rng.next() % 3)
            let time = shuffled.contains(Int(symbol)) ? clock - Int64(rng.next() % 50) : clock
            return RawPrint(
                symbol: symbol, time: time, price: 250_000 + Int64(rng.next() % 100) * 100,
                size: [Int32(10), 19, 20, 100, 250, 300][Int(rng.next() % 6)], venue: UInt16(rng.next() % 3))
        }
        let store = PrintStore(prints: prints, symbols: symbols, venues: venues, rules: rules)

        var expected: [[RawPrint]] = Array(repeating: [], count: symbols.count)
        for p in prints where p.size >= rules.minLot { expected[Int(p.symbol)].append(p) }
        let classes = venues.map { rules.venueClass(of: $0) }
        #expect(store.ineligibleCount == prints.count { $0.size < rules.minLot })
        #expect(store.offsets.count == symbols.count + 1)
        for s in symbols.indices {
            let sorted = expected[s].enumerated()
                .sorted { $0.element.time != $1.element.time ? $0.element.time < $1.element.time : $0.offset < $1.offset }
                .map(\.element)
            let range = store.range(ofSymbol: s)
            #expect(range.count == sorted.count, "seed \(seed) symbol \(s)")
            for (k, p) in zip(range, sorted) {
                let c = store.columns
                #expect(
                    c.time[k] == p.time && c.price[k] == p.price && c.size[k] == p.size && c.venue[k] == p.venue
                        && c.weight[k] == rules.grpanWeight(size: p.size, venueClass: classes[Int(p.venue)]),
                    "seed \(seed) symbol \(s) slot \(k)")
            }
        }
    }
}

/// A store built from parts (each part's own symbol and venue ids, as a chunked parser makes
/// them) is the store built from all prints at once, for any cut and any number of threads.
@Suite struct PrintStorePartsTests {
    @Test(arguments: 0..<12)
    func partsGroupAsOneInputDoes(seed: UInt64) {
        var rng = SplitMix64(seed: seed &* 7_777 &+ 3)
        let symbols = (0..<Int(rng.next() % 9) + 1).map { "S\($0)" }
        let venues = ["", "NSDQ", "FNRA", "edgx"]
        var rules = Rules()
        rules.minLot = 20
        var clock: Int64 = 5_000
        let prints = (0..<Int(rng.next() % 600)).map { _ -> RawPrint in
            clock += Int64(rng.next() % 3)
            let late = rng.next() % 9 == 0
            return RawPrint(
                symbol: Int32(rng.next() % UInt64(symbols.count)), time: late ? clock - 40 : clock,
                price: 250_000 + Int64(rng.next() % 50) * 100, size: [Int32(10), 20, 100, 300][Int(rng.next() % 4)],
                venue: UInt16(rng.next() % UInt64(venues.count)))
        }
        let expected = PrintStore(prints: prints, symbols: symbols, venues: venues, rules: rules)

        // Cut the input at random places; each part numbers symbols and venues as first seen in it.
        var cuts = (0..<Int(rng.next() % 5)).map { _ in Int(rng.next() % UInt64(prints.count + 1)) }.sorted()
        cuts = [0] + cuts + [prints.count]
        let countHere = rng.next() % 2 == 0
        let parts = zip(cuts, cuts.dropFirst()).map { lo, hi -> RawPrintPart in
            var symbolIDs: [Int32] = []
            var venueIDs: [UInt16] = [0]
            var local: [RawPrint] = []
            var counts: [Int] = []
            for var p in prints[lo..<hi] {
                let s = symbolIDs.firstIndex(of: p.symbol) ?? { symbolIDs.append(p.symbol); counts.append(0); return symbolIDs.count - 1 }()
                let v = venueIDs.firstIndex(of: p.venue) ?? { venueIDs.append(p.venue); return venueIDs.count - 1 }()
                p.symbol = Int32(s)
                p.venue = UInt16(v)
                if p.size >= rules.minLot { counts[s] += 1 }
                local.append(p)
            }
            return RawPrintPart(
                prints: local, symbolIDs: symbolIDs, venueIDs: venueIDs,
                eligibleCounts: countHere ? (rules.minLot, counts) : nil)
        }
        for threads in [1, 2, 5] {
            let store = PrintStore(parts: parts, symbols: symbols, venues: venues, rules: rules, threads: threads)
            #expect(store.offsets == expected.offsets, "seed \(seed) threads \(threads)")
            #expect(store.ineligibleCount == expected.ineligibleCount)
            let (a, b) = (store.columns, expected.columns)
            #expect(a.time == b.time && a.price == b.price && a.size == b.size, "seed \(seed) threads \(threads)")
            #expect(a.venue == b.venue && a.weight == b.weight, "seed \(seed) threads \(threads)")
        }
    }
}
