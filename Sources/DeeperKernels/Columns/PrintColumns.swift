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

    /// Columns of `count` prints, each slot written once by `fill`, which must write every
    /// slot of every column (`PrintStore` does: its counting sort fills each exactly once).
    init(
        count: Int,
        fill: (
            _ time: UnsafeMutableBufferPointer<Int64>, _ price: UnsafeMutableBufferPointer<Int64>,
            _ size: UnsafeMutableBufferPointer<Int32>, _ venue: UnsafeMutableBufferPointer<UInt16>,
            _ weight: UnsafeMutableBufferPointer<Int32>
        ) -> Void
    ) {
        // Zeroed, not uninitialized: a slot `fill` missed would be a wrong print, never garbage.
        var time = [Int64](repeating: 0, count: count)
        var price = [Int64](repeating: 0, count: count)
        var size = [Int32](repeating: 0, count: count)
        var venue = [UInt16](repeating: 0, count: count)
        var weight = [Int32](repeating: 0, count: count)
        time.withUnsafeMutableBufferPointer { t in
            price.withUnsafeMutableBufferPointer { p in
                size.withUnsafeMutableBufferPointer { s in
                    venue.withUnsafeMutableBufferPointer { v in
                        weight.withUnsafeMutableBufferPointer { w in fill(t, p, s, v, w) }
                    }
                }
            }
        }
        self.time = time
        self.price = price
        self.size = size
        self.venue = venue
        self.weight = weight
    }

    /// Whether `time[range]` never decreases.
    static func isAscending(_ time: UnsafeMutableBufferPointer<Int64>, _ range: Range<Int>) -> Bool {
        var previous = Int64.min
        for k in range {
            if time[k] < previous { return false }
            previous = time[k]
        }
        return true
    }

    /// Sorts one symbol's slice of every column by time, stably (equal times keep their order).
    /// Cold: only for a symbol whose prints arrived out of time order.
    @inline(never)
    static func sortStablyByTime(
        _ range: Range<Int>, _ time: UnsafeMutableBufferPointer<Int64>, _ price: UnsafeMutableBufferPointer<Int64>,
        _ size: UnsafeMutableBufferPointer<Int32>, _ venue: UnsafeMutableBufferPointer<UInt16>,
        _ weight: UnsafeMutableBufferPointer<Int32>
    ) {
        let order = range.sorted { a, b in time[a] != time[b] ? time[a] < time[b] : a < b }
        func permute<T>(_ column: UnsafeMutableBufferPointer<T>) {
            let moved = order.map { column[$0] }
            for (k, value) in zip(range, moved) { column[k] = value }
        }
        permute(time)
        permute(price)
        permute(size)
        permute(venue)
        permute(weight)
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
    /// O(n) for time-ordered feeds: a counting sort by symbol writes every print once, straight
    /// into its final slot of columns allocated at their final size; only a symbol whose prints
    /// are out of time order is then sorted (stably, so equal times keep file order).
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
        let total = offsets[symbolCount]
        let columns = PrintColumns(count: total) { time, price, size, venue, weight in
            var cursor = offsets
            for p in prints where p.size >= rules.minLot {
                let s = Int(p.symbol)
                let k = cursor[s]
                cursor[s] = k + 1
                time[k] = p.time
                price[k] = p.price
                size[k] = p.size
                venue[k] = p.venue
                weight[k] = rules.grpanWeight(size: p.size, venueClass: weightOfVenue[Int(p.venue)])
            }
            // Stable sort by time within each symbol, skipped when already in order.
            for s in 0..<symbolCount {
                let r = offsets[s]..<offsets[s + 1]
                if !PrintColumns.isAscending(time, r) {
                    PrintColumns.sortStablyByTime(r, time, price, size, venue, weight)
                }
            }
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
