import DeeperRedis
import Logging
import Synchronization

/// One Redis connection that survives outages: a command failing with a connection error, or
/// refused with a transient error reply (`LOADING` after a restart, `BUSY`, `MASTERDOWN` and
/// `READONLY` around a failover), is retried on a fresh connection with exponential back-off
/// (100 ms doubling to 5 s) until it succeeds or the owner stops. Other error replies are not
/// retried: they are bugs, not outages.
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
    ///
    /// - Parameters:
    ///   - persistent: retry even after the owner stopped (writes of a job in hand), calling
    ///     `whileStopped` once when that first happens.
    func perform<T>(
        persistent: Bool = false, whileStopped: (() -> Void)? = nil,
        _ body: (RedisConnection) throws(RedisError) -> T
    ) throws(RedisError) -> T? {
        var backOff = BackOff()
        var said = false
        while true {
            do throws(RedisError) {
                let c = try live()
                let value = try body(c)
                outage.recovered()
                return value
            } catch {
                let why: String
                switch error {
                case .connection(let text): why = text
                case .server where error.isTransient: why = error.description
                default: throw error
                }
                // A fresh connection next time: after a failover (READONLY) it may reach the new primary.
                connection.withLock { $0 = nil }
                outage.failed(why)
                if isStopping() {
                    if !persistent { return nil }
                    if !said { whileStopped?() }
                    said = true
                }
                backOff.wait()
            }
        }
    }

    /// Sends `commands` (raw arguments, name first) as pipelines until every one has a reply
    /// that is not a transient error: only the commands refused that way are sent again, so a
    /// command that ran never runs twice because another was refused. Outages as `perform`.
    func pipeline(
        _ commands: [[[UInt8]]], persistent: Bool = false, whileStopped: (() -> Void)? = nil
    ) throws(RedisError) -> [RedisReply]? {
        var replies = [RedisReply](repeating: .null, count: commands.count)
        var pending = Array(commands.indices)
        var backOff = BackOff()
        var said = false
        let once: () -> Void = {
            if !said { whileStopped?() }
            said = true
        }
        while !pending.isEmpty {
            var batch = RedisCommandBatch()
            for i in pending { batch.append(bytes: commands[i]) }
            guard
                let got = try perform(persistent: persistent, whileStopped: once, { (c) throws(RedisError) in
                    try c.pipeline(batch)
                })
            else { return nil }
            var refused: [Int] = []
            var why = ""
            for (i, reply) in zip(pending, got) {
                if case .error(let text) = reply, RedisError.server(text).isTransient {
                    refused.append(i)
                    why = text
                } else {
                    replies[i] = reply
                }
            }
            pending = refused
            guard !refused.isEmpty else { break }
            outage.failed(RedisError.server(why).description)
            if isStopping() {
                if !persistent { return nil }
                once()
            }
            backOff.wait()
        }
        return replies
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
