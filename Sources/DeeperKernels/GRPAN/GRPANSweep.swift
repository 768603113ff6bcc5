/// Dense per-tick histograms for the GRPAN sweep, owned by one `KernelWorkspace`.
///
/// Invariant between symbols: every entry is zero. The sweep dirties only the ticks it touches
/// and clears them before returning, so a symbol costs nothing for the width it does not use.
@usableFromInline
struct _GRPANHistograms {
    /// Σ weight (thousandths) at `base + i`.
    @usableFromInline var weight: UnsafeMutablePointer<Int64>
    /// Number of prints at `base + i`.
    @usableFromInline var count: UnsafeMutablePointer<Int32>
    @usableFromInline var capacity: Int

    init() {
        capacity = 0
        weight = .allocate(capacity: 1)
        count = .allocate(capacity: 1)
    }

    func deallocate() {
        weight.deallocate()
        count.deallocate()
    }

    /// Grows to at least `n` entries. Cold: happens a few times per workspace, never per symbol
    /// once the widest symbol has been seen.
    @inline(never)
    mutating func grow(to n: Int) {
        deallocate()
        capacity = max(n, 2 * capacity, 1 << 12)
        weight = .allocate(capacity: capacity)
        weight.initialize(repeating: 0, count: capacity)
        count = .allocate(capacity: capacity)
        count.initialize(repeating: 0, count: capacity)
    }
}

/// What one GRPAN window needs from the sweep: its mode and how many prints sit near it.
@usableFromInline
struct _GRPANSnapshot {
    @usableFromInline var mode: Int64?
    @usableFromInline var bandCount: Int

    @usableFromInline init(mode: Int64?, bandCount: Int) {
        self.mode = mode
        self.bandCount = bandCount
    }
}

extension _GRPANHistograms {
    /// One newest-to-oldest pass over `[starts.last!, end)` that yields the weighted mode of every
    /// suffix `[starts[k], end)`.
    ///
    /// Why a running argmax is exact under SPEC's tie rule: going backwards, adding print `i` at
    /// price `p` makes `i` the first print of `p` in the suffix, earlier than the first print of
    /// any other price already seen. So `p` takes the lead when its weight reaches (`>=`) the
    /// leader's, and no other price's rank changes.
    ///
    /// - Precondition: `starts` is sorted descending, each in `0...end`; every `price[i] - base`
    ///   for `i` in the swept range lies in `0..<capacity`, and `width` (the histogram span) is
    ///   at most `capacity`. The histograms are zero on entry and are zero again on return.
    @inlinable
    func sweepUnsafe(
        price: UnsafePointer<Int64>, weight w: UnsafePointer<Int32>, end: Int, base: Int64, width: Int,
        starts: InlineArray<7, Int>, bandTicks: Int, into snapshots: inout InlineArray<7, _GRPANSnapshot>
    ) {
        var bestWeight: Int64 = -1
        var best = 0
        var i = end
        for k in 0..<7 {
            let start = starts[k]
            assert(start <= i)
            while i > start {
                i &-= 1
                let p = Int(truncatingIfNeeded: price[i] &- base)
                let nw = weight[p] &+ Int64(w[i])
                weight[p] = nw
                count[p] &+= 1
                if nw >= bestWeight {
                    bestWeight = nw
                    best = p
                }
            }
            if start == end {
                snapshots[k] = _GRPANSnapshot(mode: nil, bandCount: 0)
            } else {
                let lo = max(0, best - bandTicks)
                let hi = min(width - 1, best + bandTicks)
                var band = 0
                for t in lo...hi { band &+= Int(count[t]) }
                snapshots[k] = _GRPANSnapshot(mode: base + Int64(best), bandCount: band)
            }
        }
        // Leave the histograms zero: clear the span when it is narrow, else only what was touched.
        if width <= 4 * (end - i) {
            weight.update(repeating: 0, count: width)
            count.update(repeating: 0, count: width)
        } else {
            for j in i..<end {
                let p = Int(truncatingIfNeeded: price[j] &- base)
                weight[p] = 0
                count[p] = 0
            }
        }
    }
}
