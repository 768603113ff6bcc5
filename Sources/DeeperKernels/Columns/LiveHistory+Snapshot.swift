/// Reading a history out column by column and putting it back: what a worker's snapshot file
/// (`DeeperWorker`) records and restores. Nothing here knows of files.
extension LiveHistory {
    /// Symbol `index`'s eviction cutoff: its prints older than this were dropped and later ones
    /// older than this are refused (`Int64.min` before any eviction).
    public func evictionCutoff(ofSymbol index: Int) -> Int64 { symbolEvictedBefore[index] }

    /// Gives symbol `index` (known, with no prints yet) the prints a snapshot recorded for it,
    /// in the recorded order, with its eviction cutoff; weights are derived from `rules` as
    /// `append` derives them.
    ///
    /// - Precondition: the symbol has no prints; the columns have equal lengths; times do not
    ///   decrease; every venue id is known (`venues`); every size is at least `rules.minLot`
    ///   and every time at least `evictionCutoff`. A snapshot reader checks these first: a
    ///   restored history must be one `append` could have built.
    public mutating func restorePrints(
        ofSymbol index: Int, evictionCutoff: Int64, time: UnsafeBufferPointer<Int64>,
        price: UnsafeBufferPointer<Int64>, size: UnsafeBufferPointer<Int32>, venue: UnsafeBufferPointer<UInt16>
    ) {
        precondition(index >= 0 && index < storage.count && storage[index].count == 0, "symbol not empty or unknown")
        let n = time.count
        precondition(price.count == n && size.count == n && venue.count == n, "columns of unequal length")
        let classes = venueClasses
        let rules = self.rules
        // Every slot of every column is written below, as the initializer requires.
        storage[index] = PrintColumns(uninitializedCount: n) { out in
            let (t, p, s, v, w) = (out.time, out.price, out.size, out.venue, out.weight)
            for i in 0..<n {
                precondition(Int(venue[i]) < classes.count, "unknown venue id")
                precondition(size[i] >= rules.minLot && time[i] >= evictionCutoff, "a print append would have dropped")
                precondition(i == 0 || time[i - 1] <= time[i], "times out of order")
                t[i] = time[i]
                p[i] = price[i]
                s[i] = size[i]
                v[i] = venue[i]
                w[i] = rules.grpanWeight(size: size[i], venueClass: classes[Int(venue[i])])
            }
        }
        starts[index] = 0
        symbolEvictedBefore[index] = evictionCutoff
        count += n
    }

    /// Restores the counts of prints dropped as ineligible or stale, as a snapshot recorded them.
    public mutating func restoreDroppedCounts(ineligible: Int, stale: Int) {
        ineligibleCount = ineligible
        staleCount = stale
    }
}
