/// Eligible prints of many symbols as struct-of-arrays columns, grouped by symbol and, within a
/// symbol, sorted stably by time ("print order", SPEC §1.1).
///
/// The columns are what every kernel reads. `weight` is derived from `size`, `venue` and the
/// rules once, when the columns are built, so the hot loops never branch on venue or size.
///
/// Invariant: every column has `count` elements. The fast kernels read all of them through raw
/// pointers over `0..<count` without bounds checks, so the columns can be read but only changed
/// here, a print at a time in every column at once.
public struct PrintColumns: Sendable {
    /// Nanoseconds since the Unix epoch.
    public private(set) var time: [Int64] = []
    /// Price in ticks of $0.0001.
    public private(set) var price: [Int64] = []
    /// Shares.
    public private(set) var size: [Int32] = []
    /// Index into `PrintStore.venues` (0 = unknown).
    public private(set) var venue: [UInt16] = []
    /// GRPAN weight in thousandths (SPEC §2), from `Rules.grpanWeight`.
    public private(set) var weight: [Int32] = []

    /// Empty columns.
    public init() {}

    /// The number of prints (the length of every column).
    public var count: Int { time.count }

    /// Reserves room for `n` prints in every column.
    public mutating func reserveCapacity(_ n: Int) {
        time.reserveCapacity(n)
        price.reserveCapacity(n)
        size.reserveCapacity(n)
        venue.reserveCapacity(n)
        weight.reserveCapacity(n)
    }

    /// Appends one print to every column; the caller keeps print order (SPEC §1.1).
    ///
    /// - Parameters:
    ///   - t: nanoseconds since the Unix epoch.
    ///   - p: price in ticks.
    ///   - s: shares.
    ///   - v: venue index.
    ///   - w: GRPAN weight in thousandths (`Rules.grpanWeight`).
    public mutating func append(time t: Int64, price p: Int64, size s: Int32, venue v: UInt16, weight w: Int32) {
        time.append(t)
        price.append(p)
        size.append(s)
        venue.append(v)
        weight.append(w)
    }

    /// Inserts one print at `i` in every column: O(count − i).
    mutating func _insert(time t: Int64, price p: Int64, size s: Int32, venue v: UInt16, weight w: Int32, at i: Int) {
        time.insert(t, at: i)
        price.insert(p, at: i)
        size.insert(s, at: i)
        venue.insert(v, at: i)
        weight.insert(w, at: i)
    }

    /// Removes the first `k` prints of every column, keeping capacity when unshared: O(count − k).
    mutating func _removeFirst(_ k: Int) {
        time.removeFirst(k)
        price.removeFirst(k)
        size.removeFirst(k)
        venue.removeFirst(k)
        weight.removeFirst(k)
    }
}

/// One print as parsed, before eligibility and grouping (used by parsers and feeds).
public struct RawPrint: Sendable, Equatable {
    /// Index into the parser's symbol names.
    public var symbol: Int32
    /// Nanoseconds since the Unix epoch.
    public var time: Int64
    /// Price in ticks of $0.0001.
    public var price: Int64
    /// Shares.
    public var size: Int32
    /// Index into the parser's venue names (0 = unknown).
    public var venue: UInt16

    /// A print from its parsed fields.
    public init(symbol: Int32, time: Int64, price: Int64, size: Int32, venue: UInt16) {
        self.symbol = symbol
        self.time = time
        self.price = price
        self.size = size
        self.venue = venue
    }
}

/// Interns strings (symbols, venues) to dense integer ids in first-seen order.
public struct InternTable: Sendable {
    /// Every name interned so far; a name's id is its index here.
    public private(set) var names: [String] = []
    private var ids: [String: Int] = [:]

    /// An empty table.
    public init() {}

    /// A table holding `names` (duplicates once) in order.
    public init(_ names: [String]) {
        for n in names { _ = intern(n) }
    }

    /// The id of `name`, adding it if it is new.
    public mutating func intern(_ name: String) -> Int {
        if let id = ids[name] { return id }
        let id = names.count
        names.append(name)
        ids[name] = id
        return id
    }

    /// The id of `name`, or nil when it has not been interned.
    public func id(of name: String) -> Int? { ids[name] }
    /// The number of distinct names.
    public var count: Int { names.count }
}

/// All symbols' eligible prints in columns, plus what is known about each symbol.
public struct PrintStore: Sendable {
    /// Symbol names; symbol `i`'s prints are `columns[offsets[i]..<offsets[i+1]]`.
    public let symbols: [String]
    /// Where each symbol's prints start in `columns`, plus the end: `symbols.count + 1` entries.
    public let offsets: [Int]
    /// Every symbol's eligible prints, grouped by symbol, each group in print order.
    public let columns: PrintColumns
    /// Venue names, upper-case; index 0 is the unknown venue "".
    public let venues: [String]
    /// How many parsed prints were dropped as ineligible (`size < min_lot`).
    public let ineligibleCount: Int

    private let symbolIndex: [String: Int]

    /// The number of eligible prints over all symbols.
    public var printCount: Int { columns.count }

    /// The index of `symbol` (case-sensitive), or nil when the store has no such symbol.
    public func index(of symbol: String) -> Int? { symbolIndex[symbol] }

    /// The column range of symbol `i`.
    public func range(ofSymbol i: Int) -> Range<Int> { offsets[i]..<offsets[i + 1] }

    /// Builds the store: drops ineligible prints, groups by symbol (symbols keep their id order),
    /// sorts each symbol stably by time and computes the weight column.
    ///
    /// - Parameters:
    ///   - prints: parsed prints; `symbol` indexes `symbols`, `venue` indexes `venues`.
    ///   - symbols: symbol names, by id.
    ///   - venues: venue names as seen (any case); index 0 must be the unknown venue "".
    ///   - rules: eligibility (`minLot`) and the GRPAN weights.
    public init(prints: [RawPrint], symbols: [String], venues: [String], rules: Rules) {
        precondition(venues.first == "", "venue 0 must be the unknown venue")
        let upperVenues = venues.map { $0.uppercased() }
        let weightOfVenue = upperVenues.map { rules.venueClass(of: $0) }
        let symbolCount = symbols.count

        // Counting sort by symbol keeps input order within a symbol.
        var counts = [Int](repeating: 0, count: symbolCount + 1)
        var ineligible = 0
        for p in prints {
            if p.size < rules.minLot { ineligible += 1 } else { counts[Int(p.symbol) + 1] += 1 }
        }
        for i in 0..<symbolCount { counts[i + 1] += counts[i] }
        let offsets = counts
        var cursor = counts
        let total = offsets[symbolCount]
        var order = [Int](repeating: 0, count: total)
        for (i, p) in prints.enumerated() where p.size >= rules.minLot {
            order[cursor[Int(p.symbol)]] = i
            cursor[Int(p.symbol)] += 1
        }
        // Stable sort by time within each symbol, skipped when already in order.
        for s in 0..<symbolCount {
            let r = offsets[s]..<offsets[s + 1]
            var sorted = true
            var prev = Int64.min
            for k in r {
                let t = prints[order[k]].time
                if t < prev { sorted = false; break }
                prev = t
            }
            if !sorted {
                let slice = order[r].enumerated().sorted { a, b in
                    let ta = prints[a.element].time, tb = prints[b.element].time
                    return ta != tb ? ta < tb : a.offset < b.offset
                }
                for (k, e) in zip(r, slice) { order[k] = e.element }
            }
        }
        var columns = PrintColumns()
        columns.reserveCapacity(total)
        for i in order {
            let p = prints[i]
            let w = rules.grpanWeight(size: p.size, venueClass: weightOfVenue[Int(p.venue)])
            columns.append(time: p.time, price: p.price, size: p.size, venue: p.venue, weight: w)
        }
        self.symbols = symbols
        self.offsets = offsets
        self.columns = columns
        self.venues = upperVenues
        self.ineligibleCount = ineligible
        var index: [String: Int] = [:]
        for (i, s) in symbols.enumerated() { index[s] = i }
        self.symbolIndex = index
    }
}
