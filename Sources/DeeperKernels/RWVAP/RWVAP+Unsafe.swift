// RWVAP's fast path: branch-free exact segment sums the compiler vectorizes. Held equal to
// `ReferenceKernels.rwvapSums` (`RWVAP+Reference.swift`) by `RWVAPTests`.

extension SegmentSums {
    /// Largest block whose split products cannot overflow a UInt64 lane (see `sumUnsafe`).
    @usableFromInline static let blockLength = 1 << 16

    /// Sums `price[i]`, `size[i]` for `i` in `range`, branch-free so the compiler vectorizes it.
    ///
    /// Exactness: a price is below 2^30 ticks (≤ 99999.9999) and a size below 2^31. The product
    /// is split as `p·(s & 0xFFFF)` (< 2^46) plus `p·(s >> 16)` (< 2^45) shifted by 16; each half
    /// is summed in UInt64 over blocks of 2^16 prints (< 2^62), then folded into Int128.
    ///
    /// - Precondition: `range` lies within both buffers; prices are in 1…999_999_999 and sizes
    ///   positive (guaranteed by the parsers).
    @inlinable
    static func sumUnsafe(
        price: UnsafePointer<Int64>, size: UnsafePointer<Int32>, range: Range<Int>, effectiveSizeLimit: Int64
    ) -> SegmentSums {
        var total = SegmentSums()
        // Sizes are positive Int32s, so `s ≤ limit` is `s ≤ min(limit, Int32.max)`, and the test
        // can run in 32-bit lanes (SSE2 has no 64-bit compare). A negative limit excludes all.
        let limit32 = Int32(truncatingIfNeeded: max(-1, min(effectiveSizeLimit, Int64(Int32.max))))
        var blockStart = range.lowerBound
        while blockStart < range.upperBound {
            let blockEnd = min(range.upperBound, blockStart + blockLength)
            var volume: UInt64 = 0
            var effVolume: UInt64 = 0
            var effCount: UInt64 = 0
            var low: UInt64 = 0
            var high: UInt64 = 0
            for i in blockStart..<blockEnd {
                let s32 = size[i]
                let s = UInt64(UInt32(bitPattern: s32))
                // Prices fit 30 bits: going through UInt32 lets the compiler use 32×32→64 multiplies.
                let p = UInt64(UInt32(truncatingIfNeeded: price[i]))
                // All-ones when effective, zero when excluded, without a branch: the sign of
                // limit − s (in −2^31 ..< 2^31 for s in 1...Int32.max, limit in −1...Int32.max).
                let keep = ~UInt64(bitPattern: Int64((limit32 &- s32) >> 31))
                volume &+= s
                effVolume &+= s & keep
                effCount &+= keep & 1
                // Safe: both products and their block sums stay below 2^63 (see above).
                low &+= p &* (s & 0xFFFF) & keep
                high &+= p &* (s >> 16) & keep
            }
            let n = blockEnd - blockStart
            total.volume += Int64(volume)
            total.rwvap.effectiveVolume += Int64(effVolume)
            total.rwvap.effectiveCount += Int(effCount)
            total.rwvap.excludedCount += n - Int(effCount)
            total.rwvap.excludedVolume += Int64(volume - effVolume)
            // low + high·2^16 as a 128-bit pair: high < 2^62, so its top 16 bits go to the high word.
            total.rwvap.addPriceVolume(high: 0, low: low)
            total.rwvap.addPriceVolume(high: Int64(high >> 48), low: high << 16)
            blockStart = blockEnd
        }
        return total
    }
}
