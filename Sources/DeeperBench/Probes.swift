import DeeperData
import DeeperKernels
import Dispatch
import Synchronization

/// The physical limit for one read of the data: a single pass that touches every column the
/// kernels read (time, price, size, weight; 24 bytes a print) and does nothing else.
enum BandwidthProbe {
    /// Sums the four columns over `range` so the loads cannot be optimised away.
    ///
    /// - Precondition: `range` lies within every column.
    @inline(never)
    static func passUnsafe(
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

    /// The same sum, the plain way (for the test that holds the two equal).
    static func reference(_ c: PrintColumns, range: Range<Int>) -> Int64 {
        var s: Int64 = 0
        for i in range { s &+= c.time[i] &+ c.price[i] &+ Int64(c.size[i]) &+ Int64(c.weight[i]) }
        return s
    }

    /// One pass over all columns split across `threads` threads.
    static func run(_ c: PrintColumns, threads: Int) -> Int64 {
        let n = c.count
        let sink = Mutex<Int64>(0)
        c.time.withUnsafeBufferPointer { t in
            c.price.withUnsafeBufferPointer { p in
                c.size.withUnsafeBufferPointer { s in
                    c.weight.withUnsafeBufferPointer { w in
                        let cols = UnsafeColumns(time: t, price: p, size: s, weight: w)
                        DispatchQueue.concurrentPerform(iterations: threads) { k in
                            let lo = n * k / threads
                            let hi = n * (k + 1) / threads
                            let v = passUnsafe(
                                time: cols.time.baseAddress!, price: cols.price.baseAddress!,
                                size: cols.size.baseAddress!, weight: cols.weight.baseAddress!, range: lo..<hi)
                            sink.withLock { $0 &+= v }
                        }
                    }
                }
            }
        }
        return sink.withLock { $0 }
    }
}

/// Column pointers handed to worker threads; the arrays outlive the `concurrentPerform`.
struct UnsafeColumns: @unchecked Sendable {
    let time: UnsafeBufferPointer<Int64>
    let price: UnsafeBufferPointer<Int64>
    let size: UnsafeBufferPointer<Int32>
    let weight: UnsafeBufferPointer<Int32>
}

/// Wall-clock seconds of `body`, the median of `repeats` runs.
func medianSeconds(repeats: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = clock.now
        body()
        let d = clock.now - start
        samples.append(d.seconds)
    }
    samples.sort()
    return samples[samples.count / 2]
}
