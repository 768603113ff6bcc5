/// Every symbol's eligible prints, kept in memory by the live worker and appended to as prints
/// arrive; the long-running counterpart of `PrintStore`.
///
/// A value type whose storage is shared copy-on-write, which is what lets the worker compute
/// while the tail keeps appending:
///
/// * **Snapshot** — `let snapshot = history` under the lock costs a few retains. The first
///   mutation of `history` afterwards copies the per-symbol tables (O(symbols): retains, no
///   print data); after that, the first append to a symbol copies that symbol's columns only.
///   Symbols the tail does not touch stay shared, and the snapshot never changes.
/// * **Append in time order** (the common case) — O(1) amortized: one push per column.
/// * **Append out of order** — a print older than its symbol's last print is inserted after
///   every print with a time ≤ its own (equal times keep arrival order, SPEC §1.1): O(log n)
///   to find the place plus a move of the prints after it, so a print a little late costs little.
/// * **Evict** — `evict(before:)` only advances a per-symbol start index (O(symbols × log n),
///   copying nothing even while a snapshot shares the columns); a symbol's dead prefix is
///   dropped once it reaches a quarter of its live prints. Each compaction moves at most 4 live
///   prints per dead one, so eviction is O(1) amortized per print and wastes at most 25 %.
///   `evict(symbolID:before:)` does the same for one symbol, so that retention measured
///   against each symbol's own newest print lets no print of one symbol move another's.
///
/// Because of that lazy eviction a symbol's prints are `history(ofSymbol:)`'s `range` of its
/// `columns`, not necessarily all of them; the kernels take exactly that pair.
///
/// Prints smaller than `rules.minLot` are counted and never stored (SPEC §2). Prints older than
/// the latest eviction cutoff are counted and never stored either: after `evict(before: t)` the
/// history holds nothing older than `t`.
public struct LiveHistory: Sendable {
    /// The rules that decide eligibility and weights; fixed for the history's life, since
    /// stored weights depend on them.
    public let rules: Rules

    private var symbolTable = InternTable()
    /// Venue names, upper-case; id 0 is the unknown venue "".
    private var venueTable = InternTable([""])
    /// `venueClasses[v]` is the class of venue id `v` under `rules`.
    private(set) var venueClasses: [VenueClass] = [.unknown]

    /// Per symbol id: its columns and where its live prints start (before that: evicted).
    /// Internal rather than private so that tests can check compaction and a snapshot can be
    /// restored (`LiveHistory+Snapshot.swift`).
    var storage: [PrintColumns] = []
    var starts: [Int] = []
    /// Per symbol id: its latest `evict(symbolID:before:)` cutoff (`Int64.min` before any).
    /// Internal for `LiveHistory+Snapshot.swift`.
    var symbolEvictedBefore: [Int64] = []

    private var symbolCache = _UTF8IDCache()
    private var venueCache = _UTF8IDCache()

    /// Live prints over every symbol.
    public internal(set) var count = 0
    /// Prints dropped as ineligible (`size < rules.minLot`).
    public internal(set) var ineligibleCount = 0
    /// Prints dropped because they were older than the eviction cutoff when they arrived.
    public internal(set) var staleCount = 0
    /// The latest `evict(before:)` cutoff (`Int64.min` before any): no stored print is older.
    public private(set) var evictedBefore = Int64.min

    /// An empty history that stores and weighs prints by `rules`.
    public init(rules: Rules) {
        self.rules = rules
    }

    // MARK: - Names

    /// Symbol names by id, in first-seen order (ineligible-only and emptied symbols included).
    public var symbols: [String] { symbolTable.names }

    /// Number of known symbols.
    public var symbolCount: Int { symbolTable.count }

    /// Venue names by id, upper-case; id 0 is the unknown venue "".
    public var venues: [String] { venueTable.names }

    /// The id of a known symbol (case-sensitive), or nil.
    public func index(of symbol: String) -> Int? { symbolTable.id(of: symbol) }

    /// The id of `symbol`, making it known (with no prints) if it is new.
    public mutating func internSymbol(_ symbol: String) -> Int {
        let id = symbolTable.intern(symbol)
        if id == storage.count {
            storage.append(PrintColumns())
            starts.append(0)
            symbolEvictedBefore.append(.min)
        }
        return id
    }

    /// The id of `venue`, compared case-insensitively; "" is the unknown venue, id 0.
    ///
    /// - Precondition: at most 65,536 distinct venues (the column holds `UInt16`).
    public mutating func internVenue(_ venue: String) -> UInt16 {
        let upper = venue.uppercased()
        if let known = venueTable.id(of: upper) { return UInt16(known) }
        // Venue ids are 16 bits. A feed inventing more than 65,536 venue names must not stop the
        // worker: the excess count as the unknown venue (id 0) and are counted.
        guard venueTable.count <= Int(UInt16.max) else {
            venueOverflowCount += 1
            return 0
        }
        let id = venueTable.intern(upper)
        venueClasses.append(rules.venueClass(of: upper))
        return UInt16(id)
    }

    /// Prints whose venue name arrived after 65,536 distinct names were known (stored as unknown).
    public private(set) var venueOverflowCount = 0

    /// The id of the symbol spelled by `utf8`, making it known if it is new.
    ///
    /// A repeated symbol of up to 16 bytes (every legal symbol, SPEC §1.1) costs a small hash
    /// lookup and builds no `String`; the last symbol seen costs a compare.
    public mutating func internSymbol(utf8: UnsafeRawBufferPointer) -> Int {
        guard let key = _UTF8Key(utf8) else { return internSymbol(String(decoding: utf8, as: UTF8.self)) }
        if let id = symbolCache.lookup(key) { return id }
        let id = internSymbol(String(decoding: utf8, as: UTF8.self))
        symbolCache.insert(key, id)
        return id
    }

    /// The id of the venue spelled by `utf8` (any case), as `internVenue(_:)`, without building a
    /// `String` once those bytes have been seen.
    public mutating func internVenue(utf8: UnsafeRawBufferPointer) -> UInt16 {
        guard let key = _UTF8Key(utf8) else { return internVenue(String(decoding: utf8, as: UTF8.self)) }
        if let id = venueCache.lookup(key) { return UInt16(truncatingIfNeeded: id) }
        let id = internVenue(String(decoding: utf8, as: UTF8.self))
        venueCache.insert(key, Int(id))
        return id
    }

    // MARK: - Appending

    /// Adds one print (see the type's notes for order and cost); an ineligible or stale print is
    /// only counted. The symbol becomes known either way.
    public mutating func append(symbol: String, time: Int64, price: Int64, size: Int32, venue: String) {
        let s = internSymbol(symbol)
        let v = internVenue(venue)
        append(symbolID: s, time: time, price: price, size: size, venueID: v)
    }

    /// Adds one print whose symbol and venue are raw UTF-8 field bytes (as a Redis reply holds
    /// them): the tail's path, which builds no `String` for a symbol or venue seen before.
    public mutating func append(
        symbolUTF8: UnsafeRawBufferPointer, time: Int64, price: Int64, size: Int32, venueUTF8: UnsafeRawBufferPointer
    ) {
        let s = internSymbol(utf8: symbolUTF8)
        let v = internVenue(utf8: venueUTF8)
        append(symbolID: s, time: time, price: price, size: size, venueID: v)
    }

    /// Adds one print of symbol id `symbolID` (from `internSymbol`) on venue id `venueID` (from
    /// `internVenue`).
    public mutating func append(symbolID s: Int, time: Int64, price: Int64, size: Int32, venueID v: UInt16) {
        precondition(s >= 0 && s < storage.count, "unknown symbol id")
        precondition(Int(v) < venueClasses.count, "unknown venue id")
        guard size >= rules.minLot else {
            ineligibleCount += 1
            return
        }
        guard time >= evictedBefore && time >= symbolEvictedBefore[s] else {
            staleCount += 1
            return
        }
        let w = rules.grpanWeight(size: size, venueClass: venueClasses[Int(v)])
        if let last = storage[s].time.last, time < last {
            insertLate(symbolID: s, time: time, price: price, size: size, venue: v, weight: w)
        } else {
            storage[s].append(time: time, price: price, size: size, venue: v, weight: w)
        }
        count += 1
    }

    /// The out-of-order case, kept out of line so the in-order path stays small.
    @inline(never)
    private mutating func insertLate(
        symbolID s: Int, time: Int64, price: Int64, size: Int32, venue: UInt16, weight: Int32
    ) {
        // After every print with time ≤ `time`: equal times keep arrival order. The search
        // starts at the live prints; the dead prefix before them is all older than
        // `evictedBefore` ≤ `time`, so that is also where the print belongs.
        let at = storage[s].time.withUnsafeBufferPointer {
            Self.firstIndex(in: $0, from: starts[s], where: { $0 > time })
        }
        storage[s]._insert(time: time, price: price, size: size, venue: venue, weight: weight, at: at)
    }

    // MARK: - Eviction

    /// Drops, from every symbol, the prints with time < `t` (a prefix of each), and every later
    /// arrival older than `t`. Emptied symbols stay known. A cutoff at or below an earlier one
    /// does nothing.
    public mutating func evict(before t: Int64) {
        guard t > evictedBefore else { return }
        evictedBefore = t
        for s in storage.indices { evictPrefix(of: s, before: t) }
    }

    /// Drops symbol `s`'s prints with time < `t`, and its later arrivals older than `t`; other
    /// symbols are untouched. A cutoff at or below an earlier one for `s` does nothing.
    public mutating func evict(symbolID s: Int, before t: Int64) {
        precondition(s >= 0 && s < storage.count, "unknown symbol id")
        guard t > symbolEvictedBefore[s] else { return }
        symbolEvictedBefore[s] = t
        evictPrefix(of: s, before: t)
    }

    /// Advances symbol `s`'s start past its prints older than `t`, compacting as the type says.
    private mutating func evictPrefix(of s: Int, before t: Int64) {
        let start = starts[s]
        let end = storage[s].count
        let cut = storage[s].time.withUnsafeBufferPointer {
            Self.firstIndex(in: $0, from: start, where: { $0 >= t })
        }
        if cut == start { return }
        count -= cut - start
        let live = end - cut
        if live == 0 {
            // A symbol quiet for the whole retention: give its memory back.
            storage[s] = PrintColumns()
            starts[s] = 0
        } else if cut * 4 >= live {
            storage[s]._removeFirst(cut)
            starts[s] = 0
        } else {
            starts[s] = cut
        }
    }

    // MARK: - Reading

    /// Symbol `index`'s prints as the kernels take them: `columns[range]`, in print order.
    /// Shares storage; copies nothing.
    public func history(ofSymbol index: Int) -> (columns: PrintColumns, range: Range<Int>) {
        (storage[index], starts[index]..<storage[index].count)
    }

    /// The prints of `symbol` (nil if unknown), exactly its live prints from index 0.
    ///
    /// Shares storage when the symbol has no evicted prefix awaiting compaction, and copies the
    /// live prints otherwise; the engine uses `history(ofSymbol:)`, which never copies.
    public func columns(ofSymbol symbol: String) -> PrintColumns? {
        guard let s = index(of: symbol) else { return nil }
        let start = starts[s]
        if start == 0 { return storage[s] }
        var live = storage[s]
        live._removeFirst(start)
        return live
    }

    /// Number of live prints of symbol `index`.
    public func printCount(ofSymbol index: Int) -> Int { storage[index].count - starts[index] }

    /// The time of symbol `index`'s newest live print, or nil when it has none.
    public func newestTime(ofSymbol index: Int) -> Int64? {
        starts[index] < storage[index].count ? storage[index].time.last : nil
    }

    /// The first index `i` in `from..<b.count` with `predicate(b[i])`, or `b.count`; the
    /// predicate must be false then true along `b` (times ascend).
    private static func firstIndex(
        in b: UnsafeBufferPointer<Int64>, from: Int, where predicate: (Int64) -> Bool
    ) -> Int {
        var lo = from
        var hi = b.count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if predicate(b[mid]) { hi = mid } else { lo = mid &+ 1 }
        }
        return lo
    }
}

// MARK: - Byte caches

/// Up to 16 bytes packed into two words, plus the length (so a key never equals a shorter key
/// padded with zero bytes).
struct _UTF8Key: Hashable, Sendable {
    var low: UInt64
    var high: UInt64
    var length: Int

    /// Matches no bytes: the empty cache's last-hit slot.
    static let none = _UTF8Key(low: 0, high: 0, length: -1)

    private init(low: UInt64, high: UInt64, length: Int) {
        self.low = low
        self.high = high
        self.length = length
    }

    /// Packs `bytes`, or nil when there are more than 16.
    @inline(__always)
    init?(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if n > 16 { return nil }
        var low: UInt64 = 0
        var high: UInt64 = 0
        for k in 0..<min(n, 8) { low |= UInt64(bytes[k]) << UInt64(8 * k) }
        if n > 8 {
            for k in 8..<n { high |= UInt64(bytes[k]) << UInt64(8 * (k - 8)) }
        }
        self.init(low: low, high: high, length: n)
    }
}

/// Raw field bytes to ids, so that a symbol or venue seen before costs a hash of three words
/// instead of decoding, upper-casing and hashing a `String`. Remembers the last hit, since a
/// feed often sends one symbol's prints in runs and mostly one or two venues.
struct _UTF8IDCache: Sendable {
    private var ids: [_UTF8Key: Int] = [:]
    private var lastKey = _UTF8Key.none
    private var lastID = -1

    @inline(__always)
    mutating func lookup(_ key: _UTF8Key) -> Int? {
        if key == lastKey { return lastID }
        guard let id = ids[key] else { return nil }
        lastKey = key
        lastID = id
        return id
    }

    mutating func insert(_ key: _UTF8Key, _ id: Int) {
        ids[key] = id
        lastKey = key
        lastID = id
    }
}

// MARK: - Batch engine

extension LiveHistory: _SymbolColumnsSource {
    func withSymbol<R>(_ index: Int?, _ body: (PrintColumns, Range<Int>) -> R) -> R {
        guard let s = index else { return body(PrintColumns(), 0..<0) }
        return body(storage[s], starts[s]..<storage[s].count)
    }
}
