import Foundation

/// Wakes the live publisher's thread when the tail has applied a page: a flag and a condition
/// variable, so a signal sent while the publisher is busy is not lost (its next wait returns at
/// once) and several signals coalesce into one wake.
final class LiveWakeup: Sendable {
    // `NSCondition` is a lock plus a condition variable; `pending` is only touched under it.
    private let condition = NSCondition()
    private nonisolated(unsafe) var pending = false

    /// Says that something changed; wakes a waiting publisher.
    func signal() {
        condition.lock()
        pending = true
        condition.signal()
        condition.unlock()
    }

    /// Blocks until `signal()` was called since the last return, or `deadline` passes.
    ///
    /// - Returns: whether a signal woke it.
    @discardableResult
    func wait(until deadline: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !pending {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: max(0.000_05, left.seconds)))
        }
        pending = false
        return true
    }
}
