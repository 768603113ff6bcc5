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
