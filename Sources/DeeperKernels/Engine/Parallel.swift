import Dispatch

/// Data-parallel loops for the stages around the kernels (parsing in chunks, building a store):
/// short bursts of work on Dispatch's threads, where `BatchEngine` keeps threads of its own.
public enum Parallel {
    /// Calls `body(i)` for every `i` in `0..<n`, on up to `threads` threads at once (the
    /// caller's alone when one), and returns when all calls have returned. Thread `t` takes
    /// `t`, `t + threads`, … in order.
    public static func forEach(_ n: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let lanes = min(n, threads)
        if lanes <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for i in stride(from: lane, to: n, by: lanes) { body(i) }
        }
    }

    /// `(0..<n).map(transform)`, computed on up to `threads` threads at once.
    public static func map<T>(_ n: Int, threads: Int, _ transform: @Sendable (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: n)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = _DisjointWrites(buffer)
            forEach(n, threads: threads) { i in out[i] = transform(i) }
        }
        return results.map { $0! }
    }
}
