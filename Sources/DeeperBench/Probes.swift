import DeeperData
import Foundation
import DeeperKernels
import Dispatch
import Synchronization

extension BandwidthProbe {
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

/// CPU time of this process so far (every thread, user and system), in seconds.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
