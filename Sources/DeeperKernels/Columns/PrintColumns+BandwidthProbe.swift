/// The physical limit for one read of the data, `deeper-bench`'s yardstick for the kernels: a
/// single pass that touches every column the kernels read (time, price, size, weight; 24 bytes a
/// print) and does nothing else.
///
/// It lives beside the columns, not in the benchmark, so the test that holds the unsafe pass equal
/// to its plain twin can reach it; `deeper-bench` spreads it over threads.
package enum BandwidthProbe {
    /// Sums the four columns over `range` so the loads cannot be optimised away.
    ///
    /// - Precondition: `range` lies within every column.
    @inline(never)
    package static func passUnsafe(
        time: UnsafePointer<Int64>, price: UnsafePointer<Int64>, size: UnsafePointer<Int32>,
        weight: UnsafePointer<Int32>, range: Range<Int>
    ) -> Int64 {
        var a: Int64 = 0
        var b: Int64 = 0
        for i in range {
            // Safe: wrapping sums are only a sink for the loads.
            a &+= time[i] &+ price[i]
            b &+= Int64(size[i]) &+ Int64(weight[i])
        }
        return a &+ b
    }

    /// `passUnsafe` over `columns` through their bounds-checked arrays.
    package static func pass(_ columns: PrintColumns, range: Range<Int>) -> Int64 {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns.count)
        return columns.time.withUnsafeBufferPointer { t in
            columns.price.withUnsafeBufferPointer { p in
                columns.size.withUnsafeBufferPointer { s in
                    columns.weight.withUnsafeBufferPointer { w in
                        passUnsafe(
                            time: t.baseAddress!, price: p.baseAddress!, size: s.baseAddress!,
                            weight: w.baseAddress!, range: range)
                    }
                }
            }
        }
    }

    /// The same sum, the plain way: the twin `BandwidthProbeTests` holds `passUnsafe` equal to.
    package static func reference(_ c: PrintColumns, range: Range<Int>) -> Int64 {
        var s: Int64 = 0
        for i in range { s &+= c.time[i] &+ c.price[i] &+ Int64(c.size[i]) &+ Int64(c.weight[i]) }
        return s
    }
}
