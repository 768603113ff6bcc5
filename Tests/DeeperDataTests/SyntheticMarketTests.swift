import DeeperData
import DeeperKernels
import Testing

@Suite("SyntheticMarket")
struct SyntheticMarketTests {
    static let small = SyntheticMarket.Configuration(symbols: 60, tradingDays: 3, seed: 7)
    static let medium = SyntheticMarket.Configuration(symbols: 200, tradingDays: 3, seed: 3)
    static let calendar = TradingCalendar(extraClosures: Rules.default.extraClosures)

    // MARK: - Helpers

    static func csv(_ market: SyntheticMarket) -> [UInt8] {
        var bytes: [UInt8] = []
        market.writeCSV { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The CSV's lines split into fields, header first.
    static func rows(_ bytes: [UInt8]) -> [[Substring]] {
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
    }

    static func isValidSymbol(_ s: some StringProtocol) -> Bool {
        guard (1...16).contains(s.count), let first = s.unicodeScalars.first,
            ("A"..."Z").contains(first) || ("0"..."9").contains(first)
        else { return false }
        return s.unicodeScalars.allSatisfy {
            ("A"..."Z").contains($0) || ("0"..."9").contains($0) || " .-/".unicodeScalars.contains($0)
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` → ns since the epoch, or nil.
    static func parseTime(_ s: Substring) -> Int64? {
        let b = Array(s.utf8)
        guard b.count == 24, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 46,
            b[23] == 90, let date = CivilDate(iso: s.prefix(10))
        else { return nil }
        func number(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard let h = number(11..<13), let m = number(14..<16), let sec = number(17..<19),
            let ms = number(20..<23), h < 24, m < 60, sec < 60
        else { return nil }
        return Int64(date.daysSinceEpoch) * Nanos.perDay + h * Nanos.perHour + m * Nanos.perMinute
            + sec * Nanos.perSecond + ms * Nanos.perMillisecond
    }

    /// `D+.DD[D[D]]` → ticks of $0.0001, or nil (also nil for a trailing zero past the cents).
    static func parsePrice(_ s: Substring) -> Int64? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...5).contains(parts[0].count), (2...4).contains(parts[1].count),
            parts[1].count == 2 || parts[1].last != "0",
            let whole = Int64(parts[0]), let fraction = Int64(parts[1]), parts[0].first != "+", parts[1].first != "+"
        else { return nil }
        var ticks = fraction
        for _ in parts[1].count..<4 { ticks *= 10 }
        return whole * 10_000 + ticks
    }

    // MARK: - Determinism

    @Test func sameSeedGivesIdenticalBytes() {
        let a = SyntheticMarket(Self.small)
        let b = SyntheticMarket(Self.small)
        #expect(Self.csv(a) == Self.csv(b))
        #expect(a.universeCSV() == b.universeCSV())
        #expect(a.universe == b.universe)
    }

    @Test func differentSeedGivesDifferentTape() {
        var other = Self.small
        other.seed = 8
        let a = SyntheticMarket(Self.small)
        let b = SyntheticMarket(other)
        #expect(Self.csv(a) != Self.csv(b))
        #expect(a.symbols != b.symbols)
    }

    @Test func firstSymbolsDoNotDependOnTheSymbolCount() {
        var larger = Self.small
        larger.symbols = 150
        let a = SyntheticMarket(Self.small)
        let b = SyntheticMarket(larger)
        #expect(Array(b.universe.prefix(Self.small.symbols)) == a.universe)
        var printsA: [RawPrint] = []
        var printsB: [RawPrint] = []
        a.forEachPrint { printsA.append($0) }
        b.forEachPrint { if $0.symbol < Self.small.symbols { printsB.append($0) } }
        #expect(printsA == printsB)
    }

    // MARK: - Format

    @Test func everyLineIsAValidPrint() throws {
        let market = SyntheticMarket(Self.medium)
        let rows = Self.rows(Self.csv(market))
        let (prints, symbols, venues) = market.rawPrints()
        #expect(rows.first == ["symbol", "time", "price", "size", "venue"])
        #expect(rows.count == prints.count + 1)
        #expect(prints.count == market.printCount())
        #expect(symbols == market.universe.map(\.name))
        #expect(venues.first == "")
        #expect(venues == venues.map { $0.uppercased() })

        var subPenny = 0
        var subPennyOffFinra = 0
        for (row, print) in zip(rows.dropFirst(), prints) {
            try #require(row.count == 5, "\(row)")
            #expect(Self.isValidSymbol(row[0]), "\(row)")
            let time = try #require(Self.parseTime(row[1]), "\(row)")
            let price = try #require(Self.parsePrice(row[2]), "\(row)")
            let size = try #require(Int32(row[3]), "\(row)")
            #expect(price > 0 && price <= 999_999_999)
            #expect(price >= 10 * 10_000 && price <= 31 * 10_000, "\(row)")
            #expect(size >= 1)
            #expect(venues.contains(String(row[4])), "\(row)")
            // The CSV says exactly what rawPrints() holds.
            #expect(String(row[0]) == symbols[Int(print.symbol)])
            #expect(time == print.time)
            #expect(price == print.price)
            #expect(size == print.size)
            #expect(String(row[4]) == venues[Int(print.venue)])
            if price % 100 != 0 {
                subPenny += 1
                if row[4] != "FNRA" { subPennyOffFinra += 1 }
            }
        }
        #expect(subPennyOffFinra == 0)
        #expect(subPenny > 0)
        #expect(Double(subPenny) < 0.10 * Double(prints.count), "most prints are on the cent grid")
    }

    /// The writer fills its 1 MiB buffer to within one line of the end, never past it, and the
    /// chunks join into whole lines.
    @Test func chunksFillTheBufferAndNeverOverrunIt() throws {
        let market = SyntheticMarket(Self.medium)
        var chunks: [Int] = []
        var bytes: [UInt8] = []
        market.writeCSV {
            chunks.append($0.count)
            bytes.append(contentsOf: $0)
        }
        try #require(chunks.count >= 2, "the medium market spans more than one chunk")
        #expect(chunks.allSatisfy { $0 <= 1 << 20 })
        #expect(chunks.dropLast().allSatisfy { $0 > (1 << 20) - 128 })
        #expect(Self.rows(bytes).count == market.printCount() + 1)
    }

    @Test func emptyUniverseWritesOnlyTheHeader() {
        let market = SyntheticMarket(SyntheticMarket.Configuration(symbols: 0, tradingDays: 2))
        #expect(market.printCount() == 0)
        #expect(String(decoding: Self.csv(market), as: UTF8.self) == "symbol,time,price,size,venue\n")
        #expect(market.universeCSV() == "symbol,avg_adv,group\n")
        #expect(market.rawPrints().prints.isEmpty)
    }

    @Test func universeIsValid() {
        let market = SyntheticMarket(SyntheticMarket.Configuration(symbols: 400, tradingDays: 1, seed: 11))
        #expect(market.universe.count == 400)
        #expect(Set(market.symbols).count == 400)
        for s in market.universe {
            #expect(Self.isValidSymbol(s.name), "\(s.name)")
            #expect(!s.group.isEmpty && !s.group.contains(","))
        }
        let lines = market.universeCSV().split(separator: "\n")
        #expect(lines.first == "symbol,avg_adv,group")
        #expect(lines.count == 401)
        for (line, s) in zip(lines.dropFirst(), market.universe) {
            #expect(line == "\(s.name),\(s.avgADV),\(s.group)")
        }
        // Both name styles occur.
        #expect(market.symbols.contains { $0.contains(" PR") })
        #expect(market.symbols.contains { !$0.contains(" ") })
    }

    // MARK: - Realism

    @Test func avgADVIsLogNormalAroundFourteenThousand() {
        let market = SyntheticMarket(SyntheticMarket.Configuration(symbols: 500, tradingDays: 1, seed: 5))
        let adv = market.universe.map(\.avgADV.doubleValue).sorted()
        let median = adv[adv.count / 2]
        #expect(median > 10_000 && median < 19_000, "median \(median)")
        #expect(adv.first! >= 400 && adv.last! <= 260_000)
        #expect(adv.first! < 3_000 && adv.last! > 100_000, "a wide spread: \(adv.first!)…\(adv.last!)")
        #expect(market.universe.allSatisfy { $0.avgADV.scale <= 1 })
    }

    @Test func venueSharesAreRealistic() {
        let market = SyntheticMarket(Self.medium)
        var counts = [Int](repeating: 0, count: SyntheticMarket.venues.count)
        var total = 0
        market.forEachPrint {
            counts[Int($0.venue)] += 1
            total += 1
        }
        let finra = Double(counts[1]) / Double(total)
        #expect(finra > 0.30 && finra < 0.50, "FNRA share \(finra)")
        #expect(counts.allSatisfy { $0 > 0 }, "every venue, the unknown one included: \(counts)")
        #expect(counts[2] > counts[7], "NSDQ busier than IEX")
    }

    @Test func sizesMixLotsAndBlocks() {
        let market = SyntheticMarket(Self.medium)
        let adv = market.universe.map(\.avgADV.doubleValue)
        var tiny = 0, oddLots = 0, hundreds = 0, twoHundreds = 0, roundLots = 0, irregular = 0, blocks = 0
        var total = 0
        market.forEachPrint { p in
            total += 1
            let s = p.size
            if s < 20 { tiny += 1 }
            if s < 100 { oddLots += 1 }
            if s == 100 { hundreds += 1 }
            if s == 200 { twoHundreds += 1 }
            if s >= 300 && s <= 1000 && s % 100 == 0 { roundLots += 1 }
            if s > 100 && s % 100 != 0 { irregular += 1 }
            if Double(s) > adv[Int(p.symbol)] { blocks += 1 }
        }
        let share = { (n: Int) in Double(n) / Double(total) }
        #expect(share(tiny) > 0.01 && share(tiny) < 0.10)
        #expect(share(oddLots) > 0.10 && share(oddLots) < 0.30)
        #expect(share(hundreds) > 0.20, "100 is the most common size")
        #expect(share(twoHundreds) > 0.05)
        #expect(share(roundLots) > 0.08)
        #expect(share(irregular) > 0.10)
        #expect(blocks > 0 && share(blocks) < 0.05, "rare prints above avg_adv: \(blocks)")
    }

    @Test func pricesBounceBetweenNearbyQuotes() {
        // Consecutive prints of one symbol sit a few cents apart, not dollars.
        let market = SyntheticMarket(Self.small)
        var last = [Int64](repeating: -1, count: Self.small.symbols)
        var steps = 0
        var bigSteps = 0
        market.forEachPrint { p in
            let s = Int(p.symbol)
            if last[s] >= 0 {
                steps += 1
                if abs(p.price - last[s]) > 2_000 { bigSteps += 1 }  // more than 20 cents
            }
            last[s] = p.price
        }
        #expect(steps > 1000)
        #expect(Double(bigSteps) < 0.01 * Double(steps))
    }

    @Test func timesFallInSessionsOfTradingDays() {
        let market = SyntheticMarket(Self.medium)
        let cal = Self.calendar
        #expect(market.tradingDays.count == Self.medium.tradingDays)
        #expect(market.tradingDays.allSatisfy { cal.isTradingDay($0) })
        #expect(market.tradingDays.last! <= Self.medium.end)
        #expect(market.tradingDays == market.tradingDays.sorted())
        let opens = market.tradingDays.map { cal.openInstant(of: $0) }
        var total = 0
        var inSession = 0
        var previous = Int64.min
        var ordered = true
        var nearSession = true
        market.forEachPrint { p in
            total += 1
            if cal.isSessionOpen(at: p.time) { inSession += 1 }
            if p.time < previous { ordered = false }
            previous = p.time
            // Outside the session still means the same trading day, within two hours.
            let before = 2 * Nanos.perHour  // 07:30 ET
            let after = 510 * Nanos.perMinute  // 18:00 ET
            if !opens.contains(where: { p.time >= $0 - before && p.time < $0 + after }) {
                nearSession = false
            }
        }
        #expect(ordered, "a tape: non-decreasing time across symbols")
        #expect(nearSession)
        #expect(Double(inSession) > 0.98 * Double(total))
        #expect(inSession < total, "a few prints outside the session")
    }

    @Test func tradingDaysSkipHolidaysAndWeekends() {
        // Thanksgiving 2025 is Thursday 27 November.
        let config = SyntheticMarket.Configuration(
            symbols: 3, tradingDays: 5, end: CivilDate(year: 2025, month: 11, day: 30), seed: 1)
        let days = SyntheticMarket(config).tradingDays.map(\.description)
        #expect(days == ["2025-11-21", "2025-11-24", "2025-11-25", "2025-11-26", "2025-11-28"])
    }

    @Test func rawPrintsFeedAPrintStore() {
        let market = SyntheticMarket(Self.small)
        let (prints, symbols, venues) = market.rawPrints()
        let store = PrintStore(prints: prints, symbols: symbols, venues: venues, rules: .default)
        #expect(store.printCount + store.ineligibleCount == prints.count)
        #expect(store.ineligibleCount > 0, "some odd lots fall below min_lot")
        #expect(store.venues == SyntheticMarket.venues)
    }

    // MARK: - Presets

    @Test func presetsHaveTheirSizes() {
        let universe = SyntheticMarket(.universe)
        #expect(universe.universe.count == 482)
        #expect(universe.tradingDays.count == 5)
        let count = universe.printCount()
        #expect(count > 150_000 && count < 250_000, "universe: \(count) prints")

        let scale = SyntheticMarket(.scale)
        #expect(scale.universe.count == 2000)
        #expect(scale.tradingDays.count == 5)
        let scaleCount = scale.printCount()
        #expect(scaleCount > 14_400_000 && scaleCount < 17_600_000, "scale: \(scaleCount) prints")
    }

    @Test func printCountMatchesTheTape() {
        let market = SyntheticMarket(.universe)
        var n = 0
        market.forEachPrint { _ in n += 1 }
        #expect(n == market.printCount())
    }
}
