#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a client of Redis waits between attempts through an outage: 100 ms, doubling to 5 s.
/// The worker's connections and the API's event subscriber share it.
public struct BackOff: Sendable {
    /// The first delay, and the delay after ``reset()``.
    public static let first: Duration = .milliseconds(100)
    /// The longest delay.
    public static let longest: Duration = .seconds(5)

    /// What the next ``wait(until:)`` sleeps.
    public private(set) var delay: Duration = Self.first

    public init() {}

    /// Back to the first delay (after a success).
    public mutating func reset() { delay = Self.first }

    /// Sleeps the current delay, or until `stop` says so, then doubles the delay up to
    /// ``longest``. Blocks the calling thread: see ``sleepThread(for:checkingEvery:until:)``.
    public mutating func wait(until stop: () -> Bool = { false }) {
        sleepThread(for: delay, until: stop)
        delay = min(delay * 2, Self.longest)
    }
}

/// Sleeps the calling thread for `duration`, waking every `step` to ask `stop` and returning
/// early once it says so (a stop is not held up by a long wait).
///
/// Blocking: call it only on a thread of its own (the worker's threads, the API's subscriber),
/// never on the cooperative pool or an event loop.
///
/// - Returns: whether the whole duration passed (false: `stop` ended it early).
@discardableResult
public func sleepThread(
    for duration: Duration, checkingEvery step: Duration = .milliseconds(50), until stop: () -> Bool = { false }
) -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + duration
    while true {
        let left = clock.now.duration(to: end)
        if left <= .zero { return true }
        if stop() { return false }
        usleep(UInt32(clamping: max(1, min(left, step).whole(.microseconds(1)))))
    }
}
