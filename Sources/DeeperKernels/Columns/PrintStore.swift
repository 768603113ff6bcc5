/// Prints of one part of an input (a chunk of a file, parsed on its own thread), with symbol and
/// venue ids local to the part and the maps from them to the store's ids.
///
/// A parser that splits a file in chunks interns symbols and venues per chunk, so no thread waits
/// for another; `PrintStore(parts:symbols:venues:rules:threads:)` merges the parts.
public struct RawPrintPart: Sendable {
    /// The part's prints in input order; `symbol` and `venue` are ids local to the part.
    public var prints: [RawPrint]
    /// The store's symbol id of each local symbol id. Distinct: a part interns a symbol once.
    public var symbolIDs: [Int32]
    /// The store's venue id of each local venue id.
    public var venueIDs: [UInt16]
    /// Eligible prints (`size >= minLot`) in `prints` per local symbol, when the producer counted
    /// them as it went, with the `minLot` it counted against; nil to count them here.
    public var eligibleCounts: (minLot: Int32, counts: [Int])?
    /// Prints the producer dropped as ineligible before they reached `prints`; they add to the
    /// store's `ineligibleCount`.
    public var droppedIneligible: Int

    /// A part; see the properties.
    public init(
        prints: [RawPrint], symbolIDs: [Int32], venueIDs: [UInt16], eligibleCounts: (minLot: Int32, counts: [Int])? = nil,
        droppedIneligible: Int = 0
    ) {
        self.prints = prints
        self.symbolIDs = symbolIDs
        self.venueIDs = venueIDs
        self.eligibleCounts = eligibleCounts
        self.droppedIneligible = droppedIneligible
    }
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
        let part = RawPrintPart(
            prints: prints, symbolIDs: (0..<Int32(symbols.count)).map { $0 },
            venueIDs: (0..<venues.count).map { UInt16(truncatingIfNeeded: $0) })
        self.init(parts: [part], symbols: symbols, venues: venues, rules: rules)
    }

    /// Builds the store from the parts of an input (in input order), each part on its own thread.
    ///
    /// The result is the same as one part holding every print in input order: a symbol's prints
    /// come part by part, each part's in its order, then sorted stably by time. O(n) for
    /// time-ordered feeds: a counting sort by symbol writes every print once, straight into its
    /// final slot of columns allocated once at their final size (part `c` fills, within each
    /// symbol, the slots after those of parts `0..<c`, so the parts never write the same slot);
    /// only a symbol whose prints are out of time order is then sorted (stably, so equal times
    /// keep input order).
    ///
    /// - Parameters:
    ///   - parts: the input's prints, part by part in input order.
    ///   - symbols: symbol names, by store id.
    ///   - venues: venue names as seen (any case), by store id; index 0 must be the unknown venue "".
    ///   - rules: eligibility (`minLot`) and the GRPAN weights.
    ///   - threads: threads for the scatter and the time-order fix-up (at most one a part there).
    public init(parts: [RawPrintPart], symbols: [String], venues: [String], rules: Rules, threads: Int = 1) {
        precondition(venues.first == "", "venue 0 must be the unknown venue")
        let upperVenues = venues.map { $0.uppercased() }
        let classOfVenue = upperVenues.map { rules.venueClass(of: $0) }
        let symbolCount = symbols.count
        let minLot = rules.minLot

        // Eligible prints of each part's local symbols, counted here unless the parser did.
        let counts = Parallel.map(parts.count, threads: threads) { c in
            Self.eligibleCounts(of: parts[c], minLot: minLot)
        }

        // Offsets by symbol, then where each part's run of each symbol starts.
        var runningOffsets = [Int](repeating: 0, count: symbolCount + 1)
        for (part, partCounts) in zip(parts, counts) {
            for (local, n) in partCounts.enumerated() { runningOffsets[Int(part.symbolIDs[local]) + 1] += n }
        }
        for s in 0..<symbolCount { runningOffsets[s + 1] += runningOffsets[s] }
        let offsets = runningOffsets
        var next = offsets
        let starts = zip(parts, counts).map { part, partCounts in
            partCounts.indices.map { local in
                let s = Int(part.symbolIDs[local])
                defer { next[s] += partCounts[local] }
                return next[s]
            }
        }
        let total = offsets[symbolCount]

        let columns = PrintColumns(uninitializedCount: total) { out in
            Parallel.forEach(parts.count, threads: threads) { c in
                let part = parts[c]
                let classes = part.venueIDs.map { classOfVenue[Int($0)] }
                let written = Self.scatter(
                    part, starts: starts[c], counts: counts[c], classes: classes, rules: rules, into: out)
                // Every slot written exactly once: each part filled exactly its runs, which tile
                // the columns. A miscount would otherwise leave a garbage print in place.
                precondition(written, "a part's eligible counts do not match its prints")
            }
            // Stable sort by time within each symbol, skipped when already in order; symbols
            // split between threads by their offsets, so each thread gets about as many prints.
            let lanes = max(1, min(threads, symbolCount))
            Parallel.forEach(lanes, threads: lanes) { lane in
                let lo = Self.firstSymbol(atOrAfter: total * lane / lanes, offsets)
                let hi = Self.firstSymbol(atOrAfter: total * (lane + 1) / lanes, offsets)
                for s in lo..<(lane == lanes - 1 ? symbolCount : hi) {
                    let r = offsets[s]..<offsets[s + 1]
                    if !PrintColumns.isAscending(out.time, r) { out.sortStablyByTime(r) }
                }
            }
        }
        self.symbols = symbols
        self.offsets = offsets
        self.columns = columns
        self.venues = upperVenues
        self.ineligibleCount = zip(parts, counts).reduce(0) { sum, pc in
            sum + pc.0.droppedIneligible + pc.0.prints.count - pc.1.reduce(0, +)
        }
        var index: [String: Int] = [:]
        for (i, s) in symbols.enumerated() { index[s] = i }
        self.symbolIndex = index
    }

    /// The part's eligible prints per local symbol: the producer's count when it counted
    /// against `minLot`, else counted now.
    private static func eligibleCounts(of part: RawPrintPart, minLot: Int32) -> [Int] {
        if let given = part.eligibleCounts, given.minLot == minLot {
            precondition(given.counts.count == part.symbolIDs.count, "one count a local symbol")
            return given.counts
        }
        var counts = [Int](repeating: 0, count: part.symbolIDs.count)
        for p in part.prints where p.size >= minLot { counts[Int(p.symbol)] += 1 }
        return counts
    }

    /// Writes the part's eligible prints into their slots: local symbol `s`'s k-th eligible
    /// print goes to `starts[s] + k`. Returns whether every symbol got exactly `counts[s]`
    /// prints; a print beyond its symbol's run stops the program instead of overwriting another.
    private static func scatter(
        _ part: RawPrintPart, starts: [Int], counts: [Int], classes: [VenueClass], rules: Rules,
        into out: _ReadWriteColumns
    ) -> Bool {
        var cursor = starts
        let ends = zip(starts, counts).map { $0 + $1 }
        // The store's venue id and the weight class of each local venue, side by side.
        let venues = zip(part.venueIDs, classes).map { ($0, $1) }
        let minLot = rules.minLot
        // Every index is checked (a local id within its table, a slot within its symbol's run),
        // through buffers so the loop neither checks uniqueness nor reloads the columns' bases.
        let time = out.time.baseAddress!
        let price = out.price.baseAddress!
        let size = out.size.baseAddress!
        let venue = out.venue.baseAddress!
        let weight = out.weight.baseAddress!
        part.prints.withUnsafeBufferPointer { prints in
            cursor.withUnsafeMutableBufferPointer { cursor in
                ends.withUnsafeBufferPointer { ends in
                    venues.withUnsafeBufferPointer { venues in
                        for p in prints where p.size >= minLot {
                            let s = Int(p.symbol)
                            let v = Int(p.venue)
                            precondition(s < cursor.count && v < venues.count, "a local id beyond its table")
                            let k = cursor[s]
                            precondition(k < ends[s], "more eligible prints than counted")
                            cursor[s] = k &+ 1
                            time[k] = p.time
                            price[k] = p.price
                            size[k] = p.size
                            venue[k] = venues[v].0
                            weight[k] = rules.grpanWeight(size: p.size, venueClass: venues[v].1)
                        }
                    }
                }
            }
        }
        return cursor == ends
    }

    /// The first symbol whose prints start at or after column `slot` (`offsets.count - 1` if none).
    private static func firstSymbol(atOrAfter slot: Int, _ offsets: [Int]) -> Int {
        var lo = 0
        var hi = offsets.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if offsets[mid] < slot { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
