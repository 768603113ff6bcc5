import Dispatch
import Synchronization

/// Data-parallel loops for the stages around the kernels (parsing in chunks, building a store):
/// short bursts of work on Dispatch's threads, where `BatchEngine` keeps threads of its own.
public enum Parallel {
    /// Calls `body(i)` for every `i` in `0..<n`, on up to `threads` threads at once (the
    /// caller's alone when one), and returns when all calls have returned. Each thread takes the
    /// next `i` when it is done with one, so a thread the system runs less takes fewer.
    public static func forEach(_ n: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let lanes = min(n, threads)
        if lanes <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: lanes) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= n { return }
                body(i)
            }
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
