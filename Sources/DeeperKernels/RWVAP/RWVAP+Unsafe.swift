// RWVAP's fast path: exact segment sums, vectorized by the compiler, one multiply a print. Held equal to
// `ReferenceKernels.rwvapSums` (`RWVAP+Reference.swift`) by `RWVAPTests`.

extension SegmentSums {
    /// Prints whose short products (each below 2^46) sum in a UInt64 without overflow (see `sumUnsafe`).
    @usableFromInline static let blockLength = 1 << 16
    /// Prints a run of the short pass (see `sumUnsafe`): long enough that the per-run checks
    /// cost little, short enough that a run with an exceptional print is cheap to walk again.
    @usableFromInline static let runLength = 64

    /// Sums `price[i]`, `size[i]` for `i` in `range`, exactly, in about one multiply a print.
    ///
    /// Real tapes (and the generated ones) are made of prints below 2^16 shares that are not
    /// excluded; a print at or above the effective size limit, or of 2^16 shares or more, is an
    /// *exception*. The vectorized short pass sums every print as if none were exceptional:
    /// Σ size and Σ price·size (one 32×32→64 multiply), plus the OR of the run's sizes, which
    /// bounds every size in the run. A run whose OR shows an exception is walked again by
    /// `takeOutExceptions`, which subtracts each exception's product (the sums wrap mod 2^64, so
    /// that restores them exactly) and accounts for it on its own: excluded, or effective with its
    /// full product. What remains are products below 2^30 · 2^16, summed over blocks of 2^16
    /// prints: below 2^62.
    ///
    /// - Precondition: `range` lies within both buffers; prices are in 1…999_999_999 and sizes
    ///   positive (guaranteed by the parsers).
    @inlinable
    static func sumUnsafe(
        price: UnsafePointer<Int64>, size: UnsafePointer<Int32>, range: Range<Int>, effectiveSizeLimit: Int64
    ) -> SegmentSums {
        var total = SegmentSums()
        // A run whose OR of sizes is at most this has no exception: each size is at most the OR,
        // so below 2^16 and not above the limit. A negative limit makes every print one.
        let shortSizeBound = UInt32(truncatingIfNeeded: max(0, min(effectiveSizeLimit, 0xFFFF)))
        var blockStart = range.lowerBound
        while blockStart < range.upperBound {
            let blockEnd = min(range.upperBound, blockStart &+ blockLength)
            var volume: UInt64 = 0
            var priceVolume: UInt64 = 0
            var exceptions = RWVAPSums()
            var runStart = blockStart
            while runStart < blockEnd {
                let runEnd = min(blockEnd, runStart &+ runLength)
                var runVolume: UInt64 = 0
                var runPriceVolume: UInt64 = 0
                var sizeBits: UInt32 = 0
                for i in runStart..<runEnd {
                    let s = UInt64(UInt32(bitPattern: size[i]))
                    // Prices fit 30 bits: going through UInt32 makes it a 32×32→64 multiply.
                    let p = UInt64(UInt32(truncatingIfNeeded: price[i]))
                    sizeBits |= UInt32(truncatingIfNeeded: s)
                    runVolume &+= s
                    runPriceVolume &+= p &* s
                }
                volume &+= runVolume
                priceVolume &+= runPriceVolume
                if sizeBits > shortSizeBound {
                    takeOutExceptions(
                        price: price, size: size, range: runStart..<runEnd, shortSizeBound: shortSizeBound,
                        effectiveSizeLimit: effectiveSizeLimit, priceVolume: &priceVolume, into: &exceptions)
                }
                runStart = runEnd
            }
            let n = blockEnd &- blockStart
            total.volume += Int64(volume)
            total.rwvap.effectiveVolume += Int64(volume) - exceptions.excludedVolume
            total.rwvap.effectiveCount += n - exceptions.excludedCount
            total.rwvap.excludedCount += exceptions.excludedCount
            total.rwvap.excludedVolume += exceptions.excludedVolume
            total.rwvap.addPriceVolume(high: exceptions.priceVolumeHigh, low: exceptions.priceVolumeLow)
            total.rwvap.addPriceVolume(high: 0, low: priceVolume)
            blockStart = blockEnd
        }
        return total
    }

    /// Takes the exceptions of `range` (sizes above `shortSizeBound`) out of the short pass's
    /// `priceVolume` and accounts for them in `exceptions`: an excluded print's count and size,
    /// an effective one's exact product (its size is counted by the short pass's volume).
    /// Out of line: most runs have no exception.
    @usableFromInline @inline(never)
    static func takeOutExceptions(
        price: UnsafePointer<Int64>, size: UnsafePointer<Int32>, range: Range<Int>, shortSizeBound: UInt32,
        effectiveSizeLimit: Int64, priceVolume: inout UInt64, into exceptions: inout RWVAPSums
    ) {
        for i in range where UInt32(bitPattern: size[i]) > shortSizeBound {
            let s = UInt64(UInt32(bitPattern: size[i]))
            // Exact: a price below 2^30 times a size below 2^31.
            let product = UInt64(UInt32(truncatingIfNeeded: price[i])) &* s
            priceVolume &-= product
            if Int64(s) <= effectiveSizeLimit {
                exceptions.addPriceVolume(high: 0, low: product)
            } else {
                exceptions.excludedCount += 1
                exceptions.excludedVolume += Int64(s)
            }
        }
    }
}
