import DeeperKernels
import Foundation

/// One symbol of a synthetic universe: what a universe CSV line holds.
public struct SyntheticSymbol: Sendable, Equatable {
    /// A preferred-stock style name (`AHL PRF`, `GAINN`), unique within the universe.
    public var name: String
    /// Average daily volume in shares, to one decimal place.
    public var avgADV: ExactDecimal
    /// The issuer's sector; every series of one issuer shares it.
    public var group: String

    public init(name: String, avgADV: ExactDecimal, group: String) {
        self.name = name
        self.avgADV = avgADV
        self.group = group
    }
}

/// A deterministic synthetic tape of US preferred-stock trade prints (SPEC §1).
///
/// The same configuration always yields the same universe and the same prints, byte for byte,
/// on one platform. (The draws go through the C library's `log`, `exp`, `cos` and `pow`, whose
/// last bit may differ between platforms; that can change a rare draw, never the validity.)
/// Each symbol draws from its own generator streams derived from `(seed, symbol index)`, so the
/// first `k` symbols of a market and their prints do not depend on how many symbols it has.
///
/// **Order.** Prints come out as a consolidated tape: by time across all symbols (non-decreasing,
/// millisecond resolution), ties in symbol order. Each symbol's own prints are therefore in
/// print order, and a loader still has to group them by symbol.
///
/// **Realism** (every number is a draw of the seeded generator):
/// * `avg_adv`: log-normal, median 14,000 shares, σ 1.15 below the median and 1.05 above it,
///   truncated to 400–260,000.
/// * Prints per trading day: Poisson around `avg_adv / 300` times a per-day log-normal activity
///   factor (σ 0.4, mean 1), optionally rescaled by `Configuration.printsPerSymbolDay`.
/// * Prices: $11–$30 (most near $25 par), a mid on a slow random walk (a per-symbol daily σ of
///   $0.08–$0.28, reflected inside $11.05–$29.95), a bid and an ask 1–5 cents apart around it
///   (one cent wider on 10% of prints); prints hit the bid or the ask 90% of the time, trade
///   inside 6%, one cent outside 4%. On the cent grid except about 12% of FNRA prints, which carry
///   sub-penny prices (a half cent or any $0.0001 step).
/// * Sizes: 20% odd lots 1–99 (a fifth of them below `min_lot`), 30% exactly 100, 12% exactly 200,
///   15% round lots 300–1000, 20% irregular 101–1050, 2.5% large lots 1001–5000, 0.5% blocks of
///   1.1–3.1 × avg_adv.
/// * Venues: FNRA 30–50% per symbol (40% on average); the rest NSDQ 30%, ARCA 17%, NYSE 17%,
///   EDGX 13%, BATS 10%, IEX 6%, unknown (empty) 7%.
/// * Times: trading days of the NYSE calendar; 99.5% of prints in the 09:30–16:00 ET session,
///   denser near the open and the close; 0.2% in 07:30–09:30 ET and 0.3% in 16:00–18:00 ET.
public struct SyntheticMarket: Sendable {
    /// What to generate.
    public struct Configuration: Sendable, Equatable {
        /// Number of symbols.
        public var symbols: Int
        /// Number of NYSE trading days, ending with the last trading day on or before `end`.
        public var tradingDays: Int
        /// The last calendar day of the tape.
        public var end: CivilDate
        /// Everything is a function of this seed.
        public var seed: UInt64
        /// Mean prints per symbol per trading day over the avg_adv distribution. `nil` keeps the
        /// natural rate of avg_adv / 300 (77 on average); a value rescales every symbol's rate by
        /// the same factor, aiming at the distribution's mean, not the sample's (the realized mean
        /// of a few hundred symbols varies by about ±7%).
        public var printsPerSymbolDay: Double?

        public init(
            symbols: Int, tradingDays: Int, end: CivilDate = CivilDate(year: 2025, month: 11, day: 21),
            seed: UInt64 = 1, printsPerSymbolDay: Double? = nil
        ) {
            self.symbols = symbols
            self.tradingDays = tradingDays
            self.end = end
            self.seed = seed
            self.printsPerSymbolDay = printsPerSymbolDay
        }

        /// The benchmark universe: 482 symbols, 5 trading days, about 200k prints (83 per symbol
        /// and day, i.e. avg_adv / 280).
        public static var universe: Configuration {
            Configuration(symbols: 482, tradingDays: 5, printsPerSymbolDay: 83)
        }

        /// The scale benchmark: 2,000 symbols, 5 trading days, about 16M prints.
        public static var scale: Configuration {
            Configuration(symbols: 2000, tradingDays: 5, printsPerSymbolDay: 1600)
        }
    }

    /// Venue names by id, as `RawPrint.venue` indexes them; 0 is the unknown venue "".
    public static let venues: [String] = ["", "FNRA", "NSDQ", "ARCA", "EDGX", "NYSE", "BATS", "IEX"]

    public let configuration: Configuration
    /// The symbols, in id order (`RawPrint.symbol` indexes this).
    public let universe: [SyntheticSymbol]
    /// The trading days of the tape, oldest first.
    public let tradingDays: [CivilDate]

    /// 09:30 America/New_York of each trading day, ns since the epoch.
    private let opens: [Int64]
    private let profiles: [SymbolProfile]

    /// Symbol names in id order.
    public var symbols: [String] { universe.map(\.name) }

    /// Builds the universe and the list of trading days; prints are generated on demand.
    ///
    /// - Parameter calendar: the NYSE calendar (SPEC §3) that picks trading days and opens.
    public init(
        _ configuration: Configuration,
        calendar: TradingCalendar = TradingCalendar(extraClosures: Rules.default.extraClosures)
    ) {
        precondition(configuration.symbols >= 0, "symbols must not be negative")
        precondition(configuration.tradingDays >= 1, "tradingDays must be at least 1")
        if let target = configuration.printsPerSymbolDay {
            precondition(target > 0 && target.isFinite, "printsPerSymbolDay must be positive")
        }
        self.configuration = configuration

        var days: [CivilDate] = []
        var day = configuration.end
        while days.count < configuration.tradingDays {
            if calendar.isTradingDay(day) { days.append(day) }
            day = day.adding(days: -1)
        }
        tradingDays = days.reversed()
        opens = tradingDays.map { calendar.openInstant(of: $0) }

        let issuers = Self.names(count: configuration.symbols, seed: configuration.seed)
        let rateScale = configuration.printsPerSymbolDay.map { $0 / (ADV.mean / Tape.sharesPerPrint) } ?? 1
        var universe: [SyntheticSymbol] = []
        var profiles: [SymbolProfile] = []
        universe.reserveCapacity(configuration.symbols)
        profiles.reserveCapacity(configuration.symbols)
        for (i, (name, group)) in issuers.enumerated() {
            let profile = SymbolProfile(seed: configuration.seed, index: i, rateScale: rateScale)
            profiles.append(profile)
            universe.append(SyntheticSymbol(name: name, avgADV: profile.avgADV, group: group))
        }
        self.universe = universe
        self.profiles = profiles
    }

    // MARK: - Prints

    /// How many prints the tape holds, computed without generating them.
    public func printCount() -> Int {
        var total = 0
        for (i, profile) in profiles.enumerated() {
            var counter = SymbolState(profile: profile, seed: configuration.seed, index: i)
            for _ in tradingDays { total += counter.nextDayCounts().total }
        }
        return total
    }

    /// Calls `body` with every print in tape order. `symbol` indexes `universe`, `venue` indexes
    /// `SyntheticMarket.venues`.
    public func forEachPrint(_ body: (RawPrint) throws -> Void) rethrows {
        try forEachDay { base, day in
            for p in day { try body(p.rawPrint(base: base)) }
        }
    }

    /// The whole tape as parsed prints, ready for `PrintStore(prints:symbols:venues:rules:)`:
    /// symbol ids follow `symbols`, `venues[0]` is the unknown venue "" and names are upper-case.
    public func rawPrints() -> (prints: [RawPrint], symbols: [String], venues: [String]) {
        let count = printCount()
        let prints = [RawPrint](unsafeUninitializedCapacity: count) { out, initialized in
            forEachDay { base, day in
                for p in day {
                    precondition(initialized < count)
                    (out.baseAddress! + initialized).initialize(to: p.rawPrint(base: base))
                    initialized += 1
                }
            }
        }
        precondition(prints.count == count)
        return (prints, symbols, Self.venues)
    }

    // MARK: - CSV

    /// Writes the tape as a prints CSV (`symbol,time,price,size,venue`, SPEC §1): times in UTC with
    /// milliseconds (`2025-11-21T15:04:05.123Z`), prices with 2 decimals or up to 4 when
    /// sub-penny, venue possibly empty. `sink` receives consecutive chunks of about 1 MiB; a chunk
    /// is only valid during the call.
    public func writeCSV(to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var writer = CSVWriter(symbols: universe.map(\.name), venues: Self.venues)
        writer.append("symbol,time,price,size,venue\n")
        try forEachDay { base, day in
            let baseMs = base / Nanos.perMillisecond
            for p in day {
                if writer.isNearlyFull { try sink(writer.takeChunk()) }
                writer.appendLine(p, baseMs: baseMs)
            }
        }
        try sink(writer.takeChunk())
    }

    /// The universe as a CSV (`symbol,avg_adv,group`, SPEC §1).
    public func universeCSV() -> String {
        var text = "symbol,avg_adv,group\n"
        for s in universe { text += "\(s.name),\(s.avgADV),\(s.group)\n" }
        return text
    }

    // MARK: - Generation

    /// Generates one trading day at a time for every symbol, sorts it into tape order and hands
    /// it to `body` with the day's time base (ns since the epoch; `DayPrint.ms` counts from it).
    private func forEachDay(_ body: (Int64, UnsafeBufferPointer<DayPrint>) throws -> Void) rethrows {
        var states = profiles.enumerated().map { SymbolState(profile: $1, seed: configuration.seed, index: $0) }
        var counts = [DayCounts](repeating: DayCounts(), count: states.count)
        var day: [DayPrint] = []
        var scratch: [DayPrint] = []
        for open in opens {
            var total = 0
            for s in states.indices {
                counts[s] = states[s].nextDayCounts()
                total += counts[s].total
            }
            if day.count < total {
                day = [DayPrint](repeating: DayPrint(), count: total)
                scratch = day
            }
            day.withUnsafeMutableBufferPointer { out in
                var start = 0
                for s in states.indices {
                    states[s].fillDay(symbol: UInt32(s), counts: counts[s], into: out, at: start)
                    start += counts[s].total
                }
                scratch.withUnsafeMutableBufferPointer { tmp in
                    Tape.sortByTime(UnsafeMutableBufferPointer(rebasing: out[0..<total]), scratch: tmp)
                }
            }
            try day.withUnsafeBufferPointer { all in
                let base = open - Tape.preMarketMs * Nanos.perMillisecond
                try body(base, UnsafeBufferPointer(rebasing: all[0..<total]))
            }
        }
    }

    /// Unique preferred-style names and their issuers' groups, in a fixed order: issuer after
    /// issuer, each with one or more series (`AHL PRF`, `AHL PRG`; or Nasdaq style `GAINN`, `GAINM`).
    static func names(count: Int, seed: UInt64) -> [(name: String, group: String)] {
        var rng = SeededGenerator(seed: seed, stream: UInt64.max)
        var result: [(name: String, group: String)] = []
        result.reserveCapacity(count)
        var usedBases = Set<String>()
        var usedNames = Set<String>()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let nasdaqSeries = Array("PONMLKZ")
        while result.count < count {
            let r = rng.uniform()
            let length = r < 0.2 ? 2 : r < 0.7 ? 3 : 4
            let base = String((0..<length).map { _ in letters[rng.below(26)] })
            guard usedBases.insert(base).inserted else { continue }
            let group = Issuer.groups[rng.below(Issuer.groups.count)]
            let series = 1 + min(Int(-log(rng.uniformPositive()) * 1.3), 7)
            if rng.uniform() < 0.72 {
                // NYSE style: "BASE PRx", series ascending, some letters skipped (redeemed).
                var letter = rng.below(8)
                for _ in 0..<series where letter < 26 && result.count < count {
                    let name = base + " PR" + String(letters[letter])
                    if usedNames.insert(name).inserted { result.append((name, group)) }
                    letter += rng.uniform() < 0.25 ? 2 : 1
                }
            } else {
                // Nasdaq style: base plus one letter, from P downwards.
                var k = rng.below(3)
                for _ in 0..<series where k < nasdaqSeries.count && result.count < count {
                    let name = base + String(nasdaqSeries[k])
                    if usedNames.insert(name).inserted { result.append((name, group)) }
                    k += 1
                }
            }
        }
        return result
    }
}

// MARK: - Model constants

private enum Issuer {
    static let groups = [
        "Banks", "Insurance", "Equity REIT", "Mortgage REIT", "Utilities", "BDC", "Shipping", "Energy",
        "Telecom", "Financials",
    ]
}

/// The avg_adv distribution: a two-piece log-normal, truncated.
private enum ADV {
    static let median = 14_000.0
    static let sigmaBelow = 1.15
    static let sigmaAbove = 1.05
    static let low = 400.0
    static let high = 260_000.0

    /// The distribution's mean, used to aim `printsPerSymbolDay` without looking at the sample.
    /// With Z standard normal and σ chosen by the sign of Z, truncated to a < Z < b:
    /// E[e^{σZ}; 0 < Z < b] = e^{σ²/2} (Φ(b − σ) − Φ(−σ)), and likewise below 0.
    static let mean: Double = {
        func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        let a = log(low / median) / sigmaBelow
        let b = log(high / median) / sigmaAbove
        let above = exp(sigmaAbove * sigmaAbove / 2) * (phi(b - sigmaAbove) - phi(-sigmaAbove))
        let below = exp(sigmaBelow * sigmaBelow / 2) * (phi(-sigmaBelow) - phi(a - sigmaBelow))
        return median * (above + below) / (phi(b) - phi(a))
    }()

    static func draw(_ rng: inout SeededGenerator) -> Double {
        while true {
            let z = rng.normal()
            let x = median * exp(z * (z < 0 ? sigmaBelow : sigmaAbove))
            if x >= low && x <= high { return x }
        }
    }
}

private enum Tape {
    static let sharesPerPrint = 300.0
    static let preMarketMs: Int64 = 2 * 3_600_000
    static let sessionMs: Int64 = 23_400_000
    static let postMarketMs: Int64 = 2 * 3_600_000
    static let preShare = 0.002
    static let postShare = 0.003
    /// How strongly activity clusters at the open and the close: 0 is flat; 0.6 makes the
    /// first and last minutes 2.5 times as busy as average and midday 0.77 times.
    static let uShape = 0.6
    /// Radix digits of the sort; a day spans 10.5 h = 37.8M ms < 2^26.
    static let digitBits: UInt32 = 13

    /// Stable LSD radix sort of `a` by `ms` in two 13-bit passes, through `scratch`
    /// (`scratch.count >= a.count`).
    static func sortByTime(_ a: UnsafeMutableBufferPointer<DayPrint>, scratch: UnsafeMutableBufferPointer<DayPrint>) {
        precondition(scratch.count >= a.count)
        let radix = 1 << Int(digitBits)
        let mask = UInt32(radix - 1)
        var low = [Int](repeating: 0, count: radix)
        var high = [Int](repeating: 0, count: radix)
        for p in a {
            assert(p.ms >> (2 * digitBits) == 0)
            low[Int(p.ms & mask)] += 1
            high[Int(p.ms >> digitBits)] += 1
        }
        var sumLow = 0
        var sumHigh = 0
        for d in 0..<radix {
            (low[d], sumLow) = (sumLow, sumLow + low[d])
            (high[d], sumHigh) = (sumHigh, sumHigh + high[d])
        }
        for p in a {
            let d = Int(p.ms & mask)
            scratch[low[d]] = p
            low[d] += 1
        }
        for p in scratch[0..<a.count] {
            let d = Int(p.ms >> digitBits)
            a[high[d]] = p
            high[d] += 1
        }
    }
}

/// One generated print of one day: 16 bytes, so a day of the scale dataset sorts quickly.
private struct DayPrint: Sendable {
    /// Milliseconds since the day's base (07:30 America/New_York).
    var ms: UInt32 = 0
    var symbol: UInt32 = 0
    /// Ticks of $0.0001 (below 2^24) in the low 24 bits, the venue id in the high 8.
    var priceAndVenue: UInt32 = 0
    var size: UInt32 = 0

    var price: UInt32 { priceAndVenue & 0xFF_FFFF }
    var venue: UInt32 { priceAndVenue >> 24 }

    @inline(__always)
    func rawPrint(base: Int64) -> RawPrint {
        RawPrint(
            symbol: Int32(symbol), time: base + Int64(ms) * Nanos.perMillisecond, price: Int64(price),
            size: Int32(size), venue: UInt16(venue))
    }
}

private struct DayCounts: Sendable {
    var pre = 0
    var session = 0
    var post = 0
    var total: Int { pre + session + post }
}

/// What stays fixed for a symbol.
private struct SymbolProfile: Sendable {
    var avgADV: ExactDecimal
    /// Expected prints per day.
    var rate: Double
    var startMid: Double
    var spreadCents: Int
    var dailyVolatility: Double
    /// Cumulative venue thresholds for ids 1...7, then 0 (unknown) for the rest.
    var venueThresholds: InlineArray<7, Double>
    /// Block sizes are drawn from this.
    var adv: Double

    init(seed: UInt64, index: Int, rateScale: Double) {
        var rng = SeededGenerator(seed: seed, stream: UInt64(index) &* 4)
        let adv = (ADV.draw(&rng) * 10).rounded() / 10
        self.adv = adv
        avgADV = ExactDecimal(mantissa: Int64(adv * 10), scale: 1)
        rate = adv / Tape.sharesPerPrint * rateScale
        if rng.uniform() < 0.55 {
            startMid = min(29, max(12, 24.5 + 1.3 * rng.normal()))
        } else {
            startMid = 12 + 17 * rng.uniform()
        }
        spreadCents = 1 + rng.below(3) + (adv < 3000 ? 2 : adv < 10000 ? 1 : 0)
        dailyVolatility = 0.08 + 0.20 * rng.uniform()
        // FNRA, then the lit venues NSDQ, ARCA, EDGX, NYSE, BATS, IEX; the rest is unknown.
        let finra = 0.30 + 0.20 * rng.uniform()
        let lit = 1 - finra
        let litShares: InlineArray<6, Double> = [0.30, 0.17, 0.13, 0.17, 0.10, 0.06]
        venueThresholds = InlineArray(repeating: finra)
        for i in litShares.indices { venueThresholds[i + 1] = venueThresholds[i] + lit * litShares[i] }
    }
}

/// A symbol's generators and its evolving mid price.
private struct SymbolState {
    let profile: SymbolProfile
    /// Draws print counts only, so `printCount()` can replay it cheaply.
    var countRNG: SeededGenerator
    /// Draws everything else.
    var printRNG: SeededGenerator
    var mid: Double

    static let midLow = 11.05
    static let midHigh = 29.95

    init(profile: SymbolProfile, seed: UInt64, index: Int) {
        self.profile = profile
        countRNG = SeededGenerator(seed: seed, stream: UInt64(index) &* 4 &+ 1)
        printRNG = SeededGenerator(seed: seed, stream: UInt64(index) &* 4 &+ 2)
        mid = profile.startMid
    }

    mutating func nextDayCounts() -> DayCounts {
        let activity = exp(0.4 * countRNG.normal() - 0.08)  // log-normal, mean 1
        let lambda = profile.rate * activity
        return DayCounts(
            pre: countRNG.poisson(lambda * Tape.preShare),
            session: countRNG.poisson(lambda * (1 - Tape.preShare - Tape.postShare)),
            post: countRNG.poisson(lambda * Tape.postShare))
    }

    /// Writes the day's `counts.total` prints at `out[start...]`, in time order.
    mutating func fillDay(
        symbol: UInt32, counts: DayCounts, into out: UnsafeMutableBufferPointer<DayPrint>, at start: Int
    ) {
        let total = counts.total
        if total == 0 { return }

        // Times first. Pre-market and after-hours: a few uniform times, sorted in place.
        let preEnd = start + counts.pre
        let sessionEnd = preEnd + counts.session
        for k in start..<preEnd {
            out[k].ms = UInt32(printRNG.below(Int(Tape.preMarketMs)))
        }
        Self.insertionSort(out, start..<preEnd)
        let postBase = Tape.preMarketMs + Tape.sessionMs
        for k in sessionEnd..<(start + total) {
            out[k].ms = UInt32(postBase + Int64(printRNG.below(Int(Tape.postMarketMs))))
        }
        Self.insertionSort(out, sessionEnd..<(start + total))
        // Session: the order statistics of n uniforms, drawn largest first (U(k) = U(k+1)·V^(1/k)),
        // then bent towards the open and the close by the monotone map (1 − c)·x + c·(3x² − 2x³),
        // whose slope is 1 − c at both ends and 1 + c/2 at midday.
        var x = 1.0
        var k = counts.session
        let c = Tape.uShape
        while k > 0 {
            x *= pow(printRNG.uniformPositive(), 1 / Double(k))
            let bent = (1 - c) * x + c * x * x * (3 - 2 * x)
            let ms = min(Int64(bent * Double(Tape.sessionMs)), Tape.sessionMs - 1)
            out[preEnd + k - 1].ms = UInt32(Tape.preMarketMs + max(0, ms))
            k -= 1
        }

        // Then prices, sizes and venues, walking forward in time.
        mid += 0.5 * profile.dailyVolatility * printRNG.normal()  // overnight
        reflectMid()
        // A uniform step on [−½, ½) has variance 1/12.
        let step = profile.dailyVolatility * 12.0.squareRoot() / Double(total + 1).squareRoot()
        for k in start..<(start + total) {
            mid += step * (printRNG.uniform() - 0.5)
            reflectMid()
            let venue = pickVenue()
            let price = pickPrice(finra: venue == 1)
            out[k].symbol = symbol
            out[k].priceAndVenue = UInt32(price) | UInt32(venue) << 24
            out[k].size = UInt32(pickSize())
        }
    }

    private mutating func reflectMid() {
        if mid < Self.midLow { mid = 2 * Self.midLow - mid }
        if mid > Self.midHigh { mid = 2 * Self.midHigh - mid }
    }

    private mutating func pickVenue() -> Int {
        let u = printRNG.uniform()
        let thresholds = profile.venueThresholds
        for venue in thresholds.indices where u < thresholds[venue] { return venue + 1 }
        return 0
    }

    /// A price in ticks of $0.0001.
    private mutating func pickPrice(finra: Bool) -> Int {
        let u = printRNG.uniform()
        let spread = profile.spreadCents + (u < 0.1 ? 1 : 0)
        let bid = Int((mid * 100 - Double(spread) / 2).rounded(.down))
        let ask = bid + spread
        let r = printRNG.uniform()
        if finra && r < 0.12 {
            // Sub-penny: a half cent or any tick strictly between two cents, inside the quote.
            let cent = bid + printRNG.below(spread)
            let offset = printRNG.uniform() < 0.5 ? 50 : 1 + printRNG.below(99)
            return cent * 100 + offset
        }
        let v = printRNG.uniform()
        let cents: Int
        if v < 0.45 {
            cents = bid
        } else if v < 0.90 {
            cents = ask
        } else if v < 0.96 {
            cents = spread >= 2 ? bid + 1 + printRNG.below(spread - 1) : (v < 0.93 ? bid : ask)
        } else {
            cents = v < 0.98 ? bid - 1 : ask + 1
        }
        return cents * 100
    }

    private mutating func pickSize() -> Int {
        let r = printRNG.uniform()
        if r < 0.20 { return 1 + printRNG.below(99) }  // odd lot
        if r < 0.50 { return 100 }
        if r < 0.62 { return 200 }
        if r < 0.77 { return 100 * (3 + printRNG.below(8)) }  // 300...1000
        if r < 0.97 {  // irregular, never a whole hundred
            var size = printRNG.uniform() < 0.3 ? 25 * (5 + printRNG.below(36)) : 101 + printRNG.below(899)
            if size % 100 == 0 { size += 50 }
            return size
        }
        if r < 0.995 {  // large lots
            return printRNG.uniform() < 0.5 ? 100 * (11 + printRNG.below(40)) : 1001 + printRNG.below(4000)
        }
        // Block above avg_adv, in whole hundreds.
        let block = profile.adv * (1.1 + 2 * printRNG.uniform())
        return min(Int(Int32.max), (Int(block) / 100 + 1) * 100)
    }

    private static func insertionSort(_ a: UnsafeMutableBufferPointer<DayPrint>, _ range: Range<Int>) {
        guard range.count > 1 else { return }
        for i in (range.lowerBound + 1)..<range.upperBound {
            let v = a[i]
            var j = i
            while j > range.lowerBound && a[j - 1].ms > v.ms {
                a[j] = a[j - 1]
                j -= 1
            }
            a[j] = v
        }
    }
}

// MARK: - CSV formatting

/// Formats print lines into one reusable buffer, with no per-field allocation.
///
/// The buffer is written without bounds checks, so every write is proved to fit first: the
/// longest line this writer can produce (`lineBound`, from the longest symbol and venue it was
/// given) is computed once, and every line starts only where that many bytes are left
/// (`isNearlyFull`, then a `precondition` per line). Noncopyable: it owns the buffer and frees it
/// in its `deinit`.
private struct CSVWriter: ~Copyable {
    static let capacity = 1 << 20
    /// The longest date prefix `appendLine` accepts: "YYYY-MM-DDT" is 11 bytes up to year 9999.
    static let maxDatePrefix = 11
    /// "HH:MM:SS.mmmZ," after the date.
    static let clockBytes = 14
    /// The price and its comma: ticks below 2^24 are at most "1677.7215," (4 + 1 + 4 + 1).
    static let maxPriceBytes = 10
    /// The size: a `UInt32` has at most 10 digits.
    static let maxSizeBytes = 10

    let buffer: UnsafeMutableRawBufferPointer
    var used = 0
    /// Each symbol's bytes followed by ",".
    let symbolBytes: [[UInt8]]
    /// Each venue's bytes preceded by "," and followed by "\n".
    let venueBytes: [[UInt8]]
    /// The most bytes one `appendLine` writes.
    let lineBound: Int
    /// "YYYY-MM-DDT" of `cachedDay` (days since the epoch).
    var cachedDay = Int64.min
    var datePrefix: [UInt8] = []

    init(symbols: [String], venues: [String]) {
        buffer = .allocate(byteCount: Self.capacity, alignment: 16)
        symbolBytes = symbols.map { Array($0.utf8) + [UInt8(ascii: ",")] }
        venueBytes = venues.map { [UInt8(ascii: ",")] + Array($0.utf8) + [UInt8(ascii: "\n")] }
        lineBound =
            (symbolBytes.map(\.count).max() ?? 0) + Self.maxDatePrefix + Self.clockBytes + Self.maxPriceBytes
            + Self.maxSizeBytes + (venueBytes.map(\.count).max() ?? 0)
        // A chunk holds many lines; names long enough to break that are not market symbols.
        precondition(lineBound <= Self.capacity / 16, "symbol or venue names too long for the CSV writer")
    }

    deinit { buffer.deallocate() }

    /// True when another line might not fit: take the chunk first.
    var isNearlyFull: Bool { used > Self.capacity - lineBound }

    mutating func takeChunk() -> UnsafeRawBufferPointer {
        defer { used = 0 }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<used])
    }

    /// Appends text (the header), checked: it is not a line `lineBound` covers.
    mutating func append(_ text: String) {
        precondition(text.utf8.count <= Self.capacity - used, "CSV writer buffer full")
        for b in text.utf8 { buffer[used] = b; used += 1 }
    }

    @inline(__always)
    private mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { src in
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + src.count)]).copyMemory(from: src)
        }
        used += bytes.count
    }

    @inline(__always)
    private mutating func appendTwoDigits(_ v: Int) {
        buffer[used] = UInt8(truncatingIfNeeded: 48 + v / 10)
        buffer[used + 1] = UInt8(truncatingIfNeeded: 48 + v % 10)
        used += 2
    }

    @inline(__always)
    private mutating func appendInteger(_ value: Int) {
        var v = value
        var digits = 1
        var p = 10
        while p <= v { digits += 1; p &*= 10 }
        var i = used + digits - 1
        repeat {
            buffer[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
            i -= 1
        } while v > 0
        used += digits
    }

    /// Appends one print's line.
    ///
    /// - Precondition: `lineBound` bytes are left (callers take the chunk when `isNearlyFull`).
    mutating func appendLine(_ p: DayPrint, baseMs: Int64) {
        precondition(used <= Self.capacity - lineBound, "CSV writer buffer full")
        append(symbolBytes[Int(p.symbol)])

        // Time: YYYY-MM-DDTHH:MM:SS.mmmZ
        let ms = baseMs + Int64(p.ms)
        let day = ms / 86_400_000
        if day != cachedDay {
            cachedDay = day
            datePrefix = Array((CivilDate(daysSinceEpoch: Int(day)).description + "T").utf8)
            precondition(datePrefix.count <= Self.maxDatePrefix, "date beyond year 9999")
        }
        append(datePrefix)
        let msOfDay = Int(ms - day * 86_400_000)
        let seconds = msOfDay / 1000
        appendTwoDigits(seconds / 3600)
        buffer[used] = UInt8(ascii: ":")
        used += 1
        appendTwoDigits(seconds / 60 % 60)
        buffer[used] = UInt8(ascii: ":")
        used += 1
        appendTwoDigits(seconds % 60)
        buffer[used] = UInt8(ascii: ".")
        let milli = msOfDay % 1000
        buffer[used + 1] = UInt8(truncatingIfNeeded: 48 + milli / 100)
        buffer[used + 2] = UInt8(truncatingIfNeeded: 48 + milli / 10 % 10)
        buffer[used + 3] = UInt8(truncatingIfNeeded: 48 + milli % 10)
        buffer[used + 4] = UInt8(ascii: "Z")
        buffer[used + 5] = UInt8(ascii: ",")
        used += 6

        // Price: whole dollars, cents, then sub-penny digits without trailing zeros.
        let ticks = Int(p.price)
        appendInteger(ticks / 10_000)
        buffer[used] = UInt8(ascii: ".")
        used += 1
        let fraction = ticks % 10_000
        appendTwoDigits(fraction / 100)
        let subPenny = fraction % 100
        if subPenny != 0 {
            if subPenny % 10 == 0 {
                buffer[used] = UInt8(truncatingIfNeeded: 48 + subPenny / 10)
                used += 1
            } else {
                appendTwoDigits(subPenny)
            }
        }
        buffer[used] = UInt8(ascii: ",")
        used += 1

        appendInteger(Int(p.size))
        append(venueBytes[Int(p.venue)])
    }
}
