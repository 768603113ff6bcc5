import DeeperRedis
import Logging
import Synchronization

/// One Redis connection that survives outages: a command failing with a connection error is
/// retried on a fresh connection with exponential back-off (100 ms doubling to 5 s) until it
/// succeeds or the owner stops. Server error replies are not retried: they are bugs, not outages.
///
/// Every thread of a worker owns one; the shared `OutageLog` makes an outage log once, not once
/// per thread and attempt.
final class ResilientRedis: Sendable {
    private let configuration: RedisConfiguration
    private let connection = Mutex<RedisConnection?>(nil)
    private let outage: OutageLog
    private let isStopping: @Sendable () -> Bool

    init(_ configuration: RedisConfiguration, outage: OutageLog, isStopping: @escaping @Sendable () -> Bool) {
        self.configuration = configuration
        self.outage = outage
        self.isStopping = isStopping
    }

    /// Runs `body` on a live connection; nil only when the owner stopped during an outage.
    func perform<T>(_ body: (RedisConnection) throws(RedisError) -> T) throws(RedisError) -> T? {
        var delay: Duration = .milliseconds(100)
        while true {
            do {
                let c = try live()
                let value = try body(c)
                outage.recovered()
                return value
            } catch .connection(let why) {
                connection.withLock { $0 = nil }
                outage.failed(why)
                if isStopping() { return nil }
                _sleep(delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Like `perform`, but gives up (returning nil) after the first connection error instead of
    /// retrying — for best-effort writes on the way out.
    func attempt<T>(_ body: (RedisConnection) throws(RedisError) -> T) -> T? {
        do {
            return try body(try live())
        } catch {
            return nil
        }
    }

    private func live() throws(RedisError) -> RedisConnection {
        if let c = connection.withLock({ $0 }) { return c }
        let c = try RedisConnection(configuration)
        connection.withLock { $0 = c }
        return c
    }
}

/// Logs an outage once when it starts and once when it ends, whichever thread sees it.
final class OutageLog: Sendable {
    private struct State {
        var since: ContinuousClock.Instant?
    }
    private let state = Mutex(State())
    private let logger: Logger
    private let target: String

    init(logger: Logger, target: String) {
        self.logger = logger
        self.target = target
    }

    func failed(_ why: String) {
        let first = state.withLock { s -> Bool in
            guard s.since == nil else { return false }
            s.since = .now
            return true
        }
        if first { logger.error("Redis \(target) unavailable (\(why)); reconnecting with back-off up to 5 s") }
    }

    func recovered() {
        let since = state.withLock { s -> ContinuousClock.Instant? in
            defer { s.since = nil }
            return s.since
        }
        if let since { logger.notice("Redis \(target) reachable again after \(since.duration(to: .now))") }
    }
}

func _sleep(_ d: Duration) {
    let (s, atto) = d.components
    let us = s * 1_000_000 + atto / 1_000_000_000_000
    _sleep(microseconds: UInt32(clamping: max(0, us)))
}
