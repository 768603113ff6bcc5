#if BLAS
import COpenBLAS

/// Scratch columns of doubles for the BLAS path, owned by one `KernelWorkspace`.
///
/// Noncopyable and freed by its `deinit`, like `_GRPANHistogram`.
struct _BLASScratch: ~Copyable {
    private(set) var price: UnsafeMutablePointer<Double> = .allocate(capacity: 1)
    private(set) var size: UnsafeMutablePointer<Double> = .allocate(capacity: 1)
    private(set) var capacity = 1

    mutating func ensure(_ n: Int) {
        guard n > capacity else { return }
        price.deallocate()
        size.deallocate()
        capacity = max(n, 2 * capacity)
        price = .allocate(capacity: capacity)
        size = .allocate(capacity: capacity)
    }

    deinit {
        price.deallocate()
        size.deallocate()
    }
}

extension SegmentSums {
    /// The segment sums with Σ price·size as a BLAS dot product (`cblas_ddot`).
    ///
    /// Exact, not approximate: every price, size, product and partial sum is an integer below
    /// 2^53, so each double operation is exact in any order BLAS picks. A segment that could
    /// break that bound, or that has excluded prints, takes the integer path.
    static func sumBLAS(
        price: UnsafePointer<Int64>, size: UnsafePointer<Int32>, range: Range<Int>, effectiveSizeLimit: Int64,
        scratch: inout _BLASScratch
    ) -> SegmentSums {
        let n = range.count
        guard n > 0 else { return SegmentSums() }
        scratch.ensure(n)
        var volume: Int64 = 0
        var highest: Int64 = 0
        var largest: Int64 = 0
        for (k, i) in range.enumerated() {
            let p = price[i]
            let s = Int64(size[i])
            scratch.price[k] = Double(p)
            scratch.size[k] = Double(s)
            volume &+= s
            highest = max(highest, p)
            largest = max(largest, s)
        }
        guard largest <= effectiveSizeLimit, Double(volume) * Double(highest) < 9.0e15 else {
            return sumUnsafe(price: price, size: size, range: range, effectiveSizeLimit: effectiveSizeLimit)
        }
        let dot = cblas_ddot(Int32(n), scratch.price, 1, scratch.size, 1)
        var s = SegmentSums()
        s.volume = volume
        s.rwvap.effectiveVolume = volume
        s.rwvap.effectiveCount = n
        s.rwvap.effectivePriceVolume = Int128(Int64(dot))
        return s
    }
}
#endif
