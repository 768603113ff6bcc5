// GRPAN's fast path: one backward sweep over a dense per-tick weight histogram, and the SIMD
// concentration count. Held equal to `GRPAN+Reference.swift` by the kernel property tests.

/// The dense per-tick weight histogram for the GRPAN sweep, owned by one `KernelWorkspace`.
///
/// Noncopyable and freed by its `deinit`: the memory has exactly one owner, so it can be neither
/// freed twice nor used after the workspace is gone. Only its own methods touch the memory.
///
/// Invariant between symbols: every entry is zero. The sweep dirties only the ticks it touches
/// and clears them before returning, so a symbol costs nothing for the width it does not use.
struct _GRPANHistogram: ~Copyable {
    /// Σ weight (thousandths) at `base + i`, for `i` in `0..<capacity`.
    private var weight: UnsafeMutablePointer<Int64>
    private(set) var capacity: Int

    init() {
        capacity = 0
        weight = .allocate(capacity: 1)
    }

    deinit {
        weight.deallocate()
    }

    /// Grows to at least `n` entries, all zero. Cold: happens a few times per workspace, never per
    /// symbol once the widest symbol has been seen.
    @inline(never)
    mutating func grow(to n: Int) {
        weight.deallocate()
        capacity = max(n, 2 * capacity, 1 << 12)
        weight = .allocate(capacity: capacity)
        weight.initialize(repeating: 0, count: capacity)
    }
}

extension _GRPANHistogram {
    /// One newest-to-oldest pass over `[starts[6], end)` that yields the weighted mode of every
    /// suffix `[starts[k], end)`, written to `modes[k]` (nil for an empty suffix).
    ///
    /// Why a running argmax is exact under SPEC §6.1's tie rule: going backwards, adding print `i` at
    /// price `p` makes `i` the first print of `p` in the suffix, earlier than the first print of
    /// any other price already seen. So `p` takes the lead when its weight reaches (`>=`) the
    /// leader's, and no other price's rank changes.
    ///
    /// - Precondition: `starts` is sorted descending, each in `0...end`; every `price[i] - base`
    ///   for `i` in the swept range lies in `0..<width`, and `width <= capacity`. The histogram is
    ///   zero on entry and is zero again on return.
    func sweepUnsafe(
        price: UnsafePointer<Int64>, weight w: UnsafePointer<Int32>, end: Int, base: Int64, width: Int,
        starts: InlineArray<7, Int>, into modes: inout InlineArray<7, Int64?>
    ) {
        assert(width <= capacity)
        var bestWeight: Int64 = -1
        var best = 0
        var i = end
        for k in 0..<7 {
            let start = starts[k]
            assert(start <= i)
            while i > start {
                i &-= 1
                // Safe: the precondition bounds `price[i] - base` to `0..<width`.
                let p = Int(truncatingIfNeeded: price[i] &- base)
                let nw = weight[p] &+ Int64(w[i])
                weight[p] = nw
                if nw >= bestWeight {
                    bestWeight = nw
                    best = p
                }
            }
            modes[k] = start == end ? nil : base + Int64(best)
        }
        // Leave the histogram zero: clear the whole span unless it is over 4 entries a swept
        // print, else only what was touched. `memset` clears 32 bytes or more a cycle, the walk
        // over touched prices about one print a cycle; on the scale set, moving the limit from
        // a quarter of an entry a print to 4 made the whole fast path ≈ 7% faster.
        if width <= (end - i) &* 4 {
            weight.update(repeating: 0, count: width)
        } else {
            for j in i..<end { weight[Int(truncatingIfNeeded: price[j] &- base)] = 0 }
        }
    }

    /// How many of `price[range]` lie within `band` ticks of `center`, inclusive (SPEC §6
    /// `concentration_percent`), in SIMD lanes.
    ///
    /// One unsigned compare per lane tests `low ≤ p ≤ low + 2·band`: below `low` wraps to a huge
    /// unsigned value. Prices are below 2^30 ticks (the parsers' limit, $99,999.9999), so with a
    /// band up to 2^28 ticks every `p − low` fits an `Int32`: the count runs in 32-bit lanes, 8
    /// prices in two SSE2 registers. A wider band takes the 64-bit twin.
    ///
    /// - Precondition: `range` lies within the buffer; `band ≥ 0`; prices in `1..<2^30`.
    static func bandCountUnsafe(price: UnsafePointer<Int64>, range: Range<Int>, center: Int64, band: Int64) -> Int {
        guard band <= 1 << 28 && center < 1 << 30 else {
            return bandCountWideUnsafe(price: price, range: range, center: center, band: band)
        }
        let low = center &- band
        let span = UInt32(truncatingIfNeeded: 2 &* band)
        let lowLanes = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: low))
        let spanLanes = SIMD8<UInt32>(repeating: span)
        let raw = UnsafeRawPointer(price)
        var n = 0
        var i = range.lowerBound
        // Blocks of at most 2^31 prices, so no 32-bit lane can overflow before it is folded.
        while range.upperBound &- i >= 8 {
            let blockEnd = i &+ min((range.upperBound &- i) & ~7, 1 << 31)
            var lanes = SIMD8<UInt32>(repeating: 0)
            while i < blockEnd {
                // Safe: i + 8 ≤ blockEnd ≤ range.upperBound, inside the buffer.
                let p = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Int64>.self)
                let offset = SIMD8<UInt32>(truncatingIfNeeded: SIMD8<Int32>(truncatingIfNeeded: p) &- lowLanes)
                lanes &+= SIMD8<UInt32>(repeating: 1).replacing(with: 0, where: offset .> spanLanes)
                i &+= 8
            }
            n &+= Int(lanes.wrappedSum())
        }
        while i < range.upperBound {
            n &+= UInt64(bitPattern: price[i] &- low) <= UInt64(span) ? 1 : 0
            i &+= 1
        }
        return n
    }

    /// `bandCountUnsafe` in 64-bit lanes, for any band.
    @inline(never)
    static func bandCountWideUnsafe(price: UnsafePointer<Int64>, range: Range<Int>, center: Int64, band: Int64) -> Int {
        let low = center &- band
        let span = UInt64(bitPattern: 2 &* band)
        var lanes = SIMD8<UInt64>(repeating: 0)
        let lowLanes = SIMD8<Int64>(repeating: low)
        let spanLanes = SIMD8<UInt64>(repeating: span)
        let ones = SIMD8<UInt64>(repeating: 1)
        var i = range.lowerBound
        let raw = UnsafeRawPointer(price)
        while i &+ 8 <= range.upperBound {
            // Safe: i + 8 ≤ range.upperBound, inside the buffer.
            let p = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Int64>.self)
            let offset = SIMD8<UInt64>(truncatingIfNeeded: p &- lowLanes)
            lanes &+= ones.replacing(with: 0, where: offset .> spanLanes)
            i &+= 8
        }
        var n = Int(lanes.wrappedSum())
        while i < range.upperBound {
            n &+= UInt64(bitPattern: price[i] &- low) <= span ? 1 : 0
            i &+= 1
        }
        return n
    }
}
