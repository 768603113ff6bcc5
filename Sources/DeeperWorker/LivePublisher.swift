import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import Logging
import Synchronization

/// The live clock (`--live-clock`): what "now" the live results are computed at.
public enum LiveClock: String, Sendable, CaseIterable {
    /// SPEC §4 `live`: the wall clock while the NYSE session is open, else each symbol's last print.
    case wall
    /// The newest print time seen on the stream, one instant for every symbol (replays, tests).
    case feed
}

/// Publishes every symbol's metrics at the live clock (docs/REDIS.md, "Live results"), on a
/// thread of its own, while the worker it belongs to keeps serving jobs.
///
/// **One publisher at a time.** A live worker publishes only while it holds the lease
/// `deeper_analysis:live:leader` (its name, with a TTL of `lease`, renewed every third of it).
/// A worker without the lease tries to take it every third of a lease, so when the holder dies
/// another takes over within `lease` + `lease`/3 and republishes every symbol. Every write is one
/// Lua script that runs only while the leader key still holds this worker's name: a holder that
/// was paused (SIGSTOP, a long outage) past its lease writes nothing once it wakes, and learns
/// there that it lost the lease.
///
/// **When.** After each page the tail applies, the symbols it touched are recomputed; every
/// `refresh` every symbol is (windows slide with the clock even without prints), in slices of
/// `refreshSlice` symbols with the symbols touched meanwhile going first, and the chart's print
/// lists are rewritten where they changed. Only entries whose JSON changed are written.
final class LivePublisher: Sendable {
    let worker: Worker
    var configuration: WorkerConfiguration { worker.configuration }
    var name: String { worker.name }
    var logger: Logger { worker.logger }
    var tail: PrintTail { worker.tail }
    /// Symbols of a refresh recomputed between two looks at the tail: bounds how long a refresh
    /// holds a fresh print back (≈ 16 × 15 µs, plus the chart lists that changed).
    static let refreshSlice = 16
    /// Publishes that went out (for the log at stop).
    let publishes = Atomic<Int>(0)

    init(worker: Worker) {
        self.worker = worker
    }

    /// Runs until the worker's jobs are done; gives the lease back on the way out.
    func run() {
        guard let wakeup = tail.liveWakeup else { return }
        let redis = worker.makeConnection(commandTimeout: .seconds(10), until: { self.worker.isDone })
        let clock = ContinuousClock()
        let lease = configuration.liveLease
        let renewEvery = lease / 3
        var results = LiveResults(parameters: worker.parameters)
        var leader = false
        // After taking the lease, the first refresh's entries go out whole, replacing the hash.
        var replace = false
        var nextLease = clock.now
        var nextRefresh = clock.now
        // The refresh under way: history ids still to recompute, then the symbols without history.
        var pending = 0..<0
        var pendingWithoutHistory = false
        var rebuilds = -1
        var avgADV: [String: ExactDecimal] = [:]
        var setMembers: [String] = []
        while !worker.isDone {
            do {
                if clock.now >= nextLease {
                    nextLease = clock.now + renewEvery
                    let held = try redis.perform { (c) throws(RedisError) in
                        try self.holdLease(c, renew: leader)
                    }
                    guard let held else { continue }
                    if held && !leader {
                        logger.notice("Worker \(name) took the live lease: publishing live results (\(configuration.liveClock.rawValue) clock)")
                        results.forget()
                        replace = true
                        nextRefresh = clock.now
                    } else if !held && leader {
                        logger.warning("Worker \(name) lost the live lease: stopped publishing")
                    }
                    leader = held
                }
                guard leader else {
                    wakeup.wait(until: nextLease)
                    continue
                }
                let startsRefresh = clock.now >= nextRefresh
                if startsRefresh {
                    nextRefresh = clock.now + configuration.liveRefresh
                    guard let read = try redis.perform({ (c) throws(RedisError) in try Self.readStatic(c) }) else { continue }
                    (setMembers, avgADV) = read
                }
                // Everything computed from one snapshot, released before the write (while a
                // snapshot lives, the tail's appends copy the columns they touch).
                var out = LiveResults.Changes()
                var asOfInstant: Int64 = 0
                var whole = false
                do {
                    let changes = tail.takeLiveChanges()
                    let history = changes.history
                    if changes.rebuilds != rebuilds {
                        // A rebuilt history numbers its symbols afresh: what was published by id means nothing now.
                        rebuilds = changes.rebuilds
                        results.forget()
                        if !startsRefresh { nextRefresh = clock.now }
                    }
                    if startsRefresh {
                        pending = 0..<history.symbolCount
                        pendingWithoutHistory = true
                    }
                    guard let asOf = liveAsOf(changes.newestPrintTime) else {
                        pending = 0..<0
                        wakeup.wait(until: min(nextRefresh, nextLease))
                        continue
                    }
                    asOfInstant = asOf.instant
                    results.markPrintsChanged(changes.touched, symbolCount: history.symbolCount)
                    // What the tail just touched first: a print's latency is theirs.
                    results.update(
                        history: history, ids: changes.touched, asOf: asOf.kernel, avgADV: avgADV, prints: false,
                        into: &out)
                    // Then a slice of the refresh, so a long refresh never holds a fresh print
                    // back by more than one slice. The first publish after taking the lease
                    // carries every entry at once (it replaces the hash whole), and leaves the
                    // chart lists, which can be large, to the slices that follow.
                    whole = replace
                    if whole {
                        results.update(
                            history: history, ids: pending, asOf: asOf.kernel, avgADV: avgADV, prints: false, into: &out)
                        results.updateWithoutHistory(setMembers, history: history, avgADV: avgADV, into: &out)
                    } else {
                        let slice = pending.prefix(Self.refreshSlice)
                        results.update(
                            history: history, ids: slice, asOf: asOf.kernel, avgADV: avgADV, prints: true, into: &out)
                        pending = slice.upperBound..<pending.upperBound
                    }
                    if pending.isEmpty && pendingWithoutHistory {
                        pendingWithoutHistory = false
                        results.updateWithoutHistory(setMembers, history: history, avgADV: avgADV, into: &out)
                    }
                    if out.entries.isEmpty && out.prints.isEmpty && !startsRefresh {
                        if pending.isEmpty { wakeup.wait(until: min(nextRefresh, nextLease)) }
                        continue
                    }
                }
                let command = out.publishCommand(
                    worker: name, clock: configuration.liveClock, asOf: asOfInstant, symbols: results.publishedCount,
                    replace: whole)
                guard let written = try redis.perform({ (c) throws(RedisError) in try c.pipeline(command) }) else {
                    continue
                }
                if written.first?.int != 1 {
                    leader = false
                    pending = 0..<0
                    results.forget()
                    logger.warning("Worker \(name) lost the live lease (found at publish): stopped publishing")
                } else {
                    if whole { replace = false }
                    publishes.add(1, ordering: .relaxed)
                }
            } catch {
                logger.error("Worker \(name) live publisher: \(error)")
                sleepThread(for: .seconds(1), until: { self.worker.isDone })
            }
        }
        if leader {
            _ = redis.attempt { (c) throws(RedisError) in
                try c.command(["EVAL", Self.releaseScript, "1", RedisKeys.liveLeader, name])
            }
            logger.notice("Worker \(name) gave the live lease back after \(publishes.load(ordering: .relaxed)) publishes")
        }
    }

    /// The live clock's reading: the instant the metrics are computed at, and the one meta and
    /// updates carry (under `wall` outside the session, each symbol is at its own last print and
    /// the reported instant is the newest print seen). nil while no print was seen.
    func liveAsOf(_ newestPrint: Int64?) -> (kernel: AsOf, instant: Int64)? {
        switch configuration.liveClock {
        case .feed:
            guard let t = newestPrint else { return nil }
            return (.instant(t), t)
        case .wall:
            let now = WallClock.now()
            if worker.parameters.calendar.isSessionOpen(at: now) { return (.instant(now), now) }
            guard let t = newestPrint else { return nil }
            return (.last, t)
        }
    }

    /// Takes the lease if it is free (or already ours), or renews it if `renew`; whether this
    /// worker holds it now.
    func holdLease(_ c: RedisConnection, renew: Bool) throws(RedisError) -> Bool {
        let ms = String(configuration.liveLease.whole(.milliseconds(1)))
        let script = renew ? Self.renewScript : Self.acquireScript
        return try c.command(["EVAL", script, "1", RedisKeys.liveLeader, name, ms]).int == 1
    }

    /// The symbols set and the avg_adv hash, in one round trip.
    static func readStatic(_ c: RedisConnection) throws(RedisError) -> ([String], [String: ExactDecimal]) {
        let replies = try c.pipeline([["SMEMBERS", RedisKeys.symbols], ["HGETALL", RedisKeys.avgADV]])
        let members = (replies[0].array ?? []).compactMap(\.string)
        var adv: [String: ExactDecimal] = [:]
        let flat = replies[1].array ?? []
        var i = 0
        while i + 1 < flat.count {
            if let s = flat[i].string, let a = flat[i + 1].string.flatMap({ ExactDecimal($0) }) { adv[s] = a }
            i += 2
        }
        return (members, adv)
    }

    // MARK: - Scripts

    /// KEYS: leader. ARGV: this worker, lease (ms). Takes a free lease, or renews one already
    /// ours (a restart under the same name); 1 when held.
    static let acquireScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == false then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        if holder == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """

    /// KEYS: leader. ARGV: this worker, lease (ms). Renews only while ours; 1 when held.
    static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """

    /// KEYS: leader. ARGV: this worker. Deletes the lease only while ours.
    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// KEYS: leader, live hash, meta, prints hash. ARGV: this worker, updates channel, meta
    /// JSON, update JSON, replace ('1': empty the live hash first), n, n × (symbol, JSON), m,
    /// m × (symbol, prints JSON). Writes only while the lease is this worker's (returns 0
    /// otherwise, writing nothing); the update goes out after the hash fields are written, and
    /// only when an entry changed.
    static let publishScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[5] == '1' then redis.call('DEL', KEYS[2]) end
        local function hset(key, first, last)
          local k = first
          while k <= last do
            local e = math.min(last, k + 999)
            redis.call('HSET', key, unpack(ARGV, k, e))
            k = e + 1
          end
        end
        local n = tonumber(ARGV[6])
        if n > 0 then hset(KEYS[2], 7, 6 + 2 * n) end
        local m = tonumber(ARGV[7 + 2 * n])
        if m > 0 then hset(KEYS[4], 8 + 2 * n, 7 + 2 * n + 2 * m) end
        redis.call('SET', KEYS[3], ARGV[3])
        if n > 0 then redis.call('PUBLISH', ARGV[2], ARGV[4]) end
        return 1
        """
}

extension LiveResults.Changes {
    /// The one fenced Redis command (`EVAL` of the publish script) that writes these changes,
    /// the meta and the update message, as a batch of that one command (send it with
    /// `RedisConnection.pipeline`; its one reply is 1 when written, 0 when the lease is not ours).
    ///
    /// - Parameters:
    ///   - worker: the publishing worker; the script writes only while the lease holds this name.
    ///   - clock: the live clock, reported in the meta.
    ///   - asOf: the live clock's instant (nanoseconds), for the meta and the update.
    ///   - symbols: how many symbols the hash holds after this publish.
    ///   - replace: empty the live hash first (the first publish after taking the lease).
    public func publishCommand(
        worker: String, clock: LiveClock, asOf: Int64, symbols: Int, replace: Bool
    ) -> RedisCommandBatch {
        let asOfText = Nanos.iso8601(asOf)
        var meta = JSONWriter()
        meta.beginObject()
        meta.field("as_of", asOfText)
        meta.field("updated_at", Nanos.iso8601(WallClock.now()))
        meta.field("worker", worker)
        meta.field("symbols", symbols)
        meta.field("clock", clock.rawValue)
        meta.endObject()
        var update = JSONWriter(capacity: 64 + entries.count * 12)
        update.beginObject()
        update.field("as_of", asOfText)
        update.key("symbols")
        update.beginArray()
        for e in entries { update.string(e.symbol) }
        update.endArray()
        update.endObject()
        // One flat buffer for the whole command: no array per argument.
        var command = RedisCommandBatch(
            reservingCommands: 1, bytesPerCommand: 1_024 + entries.reduce(0) { $0 + $1.json.count + 24 },
            argumentsPerCommand: 16 + 2 * (entries.count + prints.count))
        command.add("EVAL")
        command.add(LivePublisher.publishScript)
        command.add("4")
        for key in [RedisKeys.liveLeader, RedisKeys.live, RedisKeys.liveMeta, RedisKeys.livePrints] { command.add(key) }
        command.add(worker)
        command.add(RedisKeys.liveUpdates)
        command.add(bytes: meta.bytes)
        command.add(bytes: update.bytes)
        command.add(replace ? "1" : "0")
        command.add(entries.count)
        for e in entries {
            command.add(e.symbol)
            command.add(bytes: e.json)
        }
        command.add(prints.count)
        for e in prints {
            command.add(e.symbol)
            command.add(bytes: e.json)
        }
        command.endCommand()
        return command
    }
}
