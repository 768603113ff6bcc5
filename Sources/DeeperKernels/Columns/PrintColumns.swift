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

    /// Columns of `count` prints, each slot written exactly once by `fill` (on as many threads
    /// as it likes), which must write every slot of every column before it returns.
    ///
    /// Uninitialized, not zeroed: zeroing would touch every page once more, on one thread.
    /// `PrintStore` proves it filled every slot (each part's counted runs tile the columns)
    /// before it returns.
    init(uninitializedCount count: Int, fill: (_ReadWriteColumns) -> Void) {
        func column<T: BitwiseCopyable>() -> [T] {
            // Elements of a bitwise-copyable type need no initialization to be overwritten.
            // Made resident in bulk: the scatter then writes without a page fault per page.
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                Prefault.populate(buffer)
                initialized = count
            }
        }
        var time: [Int64] = column()
        var price: [Int64] = column()
        var size: [Int32] = column()
        var venue: [UInt16] = column()
        var weight: [Int32] = column()
        time.withUnsafeMutableBufferPointer { t in
            price.withUnsafeMutableBufferPointer { p in
                size.withUnsafeMutableBufferPointer { s in
                    venue.withUnsafeMutableBufferPointer { v in
                        weight.withUnsafeMutableBufferPointer { w in
                            fill(_ReadWriteColumns(time: t, price: p, size: s, venue: v, weight: w))
                        }
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

/// Writable views of the five columns of a `PrintColumns` being built, handed to the threads
/// that fill it.
///
/// `@unchecked Sendable`: the threads write disjoint slots (each part its own runs, each lane
/// its own symbols), and the arrays outlive them (both guaranteed by `PrintStore.init`).
struct _ReadWriteColumns: @unchecked Sendable {
    let time: UnsafeMutableBufferPointer<Int64>
    let price: UnsafeMutableBufferPointer<Int64>
    let size: UnsafeMutableBufferPointer<Int32>
    let venue: UnsafeMutableBufferPointer<UInt16>
    let weight: UnsafeMutableBufferPointer<Int32>

    /// Sorts one symbol's slice of every column by time, stably (equal times keep their order).
    /// Cold: only for a symbol whose prints arrived out of time order.
    @inline(never)
    func sortStablyByTime(_ range: Range<Int>) {
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
