import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The worker of docs/REDIS.md: tails the print stream into memory, takes jobs from the shared
/// queue, computes them on every core and writes results back, losing no job it has taken.
///
/// Three threads, each with its own Redis connection (blocking hiredis calls never run on the
/// cooperative pool): the tail, the job loop, and the heartbeat that also hands back the jobs
/// of workers whose heartbeat expired. The job loop and the engine's threads run at the
/// configured `ComputePriority`; the tail and the heartbeat at the process's. On graceful
/// shutdown the job loop stops taking jobs, finishes the one in hand (through a Redis outage
/// too: the tail and the heartbeat run until it is written), and `run()` returns.
///
/// **A job completes once.** Every write that settles a job (result, final status, event,
/// leaving the processing list) is one Lua script that runs only while this worker still holds
/// the job in its processing list; a worker paused past its heartbeat (SIGSTOP, a long outage)
/// whose job was handed back meanwhile drops its copy and logs it. No script moves a status
/// back from `completed` or `failed`.
public final class Worker: Service, Sendable {
    public let configuration: WorkerConfiguration
    let logger: Logger
    let parameters: AnalysisParameters
    let engine: BatchEngine
    let tail: PrintTail
    let stopping = Atomic<Bool>(false)
    /// Set once the job loop has returned, nothing in hand: the tail and the heartbeat stop then.
    let jobsDone = Atomic<Bool>(false)
    let outage: OutageLog
    let completedJobs = Atomic<Int>(0)

    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.parameters = AnalysisParameters(rules: configuration.rules)
        self.engine = BatchEngine(threads: configuration.threads, priority: configuration.computePriority)
        self.tail = PrintTail(
            rules: configuration.rules, calendar: parameters.calendar, logger: logger,
            futureTolerance: configuration.futureTolerance)
        self.outage = OutageLog(
            logger: logger, target: "\(configuration.redis.host):\(configuration.redis.port)")
    }

    var name: String { configuration.name }
    var isStopping: Bool { stopping.load(ordering: .relaxed) || StartUpSignals.requested }
    var isDone: Bool { jobsDone.load(ordering: .relaxed) }

    /// A connection for one thread; through an outage it retries until `until` says stop.
    func makeConnection(commandTimeout: Duration?, until: @escaping @Sendable () -> Bool) -> ResilientRedis {
        var redis = configuration.redis
        redis.commandTimeout = commandTimeout
        return ResilientRedis(redis, outage: outage, isStopping: until)
    }

    public func run() async throws {
        if StartUpSignals.requested {
            logger.notice("Worker \(name) stopping: a stop signal arrived while it started")
            // The service group listens now: hand it the signal, so it shuts down as for any other.
            StartUpSignals.resend()
        }
        try await withGracefulShutdownHandler {
            try await runThreads()
        } onGracefulShutdown: {
            self.logger.notice("Worker \(self.name) stopping: finishing the job in hand")
            self.stopping.store(true, ordering: .relaxed)
        }
        logger.notice("Worker \(name) stopped after \(completedJobs.load(ordering: .relaxed)) job(s)")
    }

    private func runThreads() async throws {
        let control = makeConnection(commandTimeout: .seconds(30), until: { self.isStopping })
        guard try control.perform({ (c) throws(RedisError) in _ = try c.command(["PING"]) }) != nil else { return }
        logger.notice(
            "Worker \(name) connected to Redis \(configuration.redis.host):\(configuration.redis.port)")
        let bootstrapStart = ContinuousClock.now
        let read: Int?
        let source: String
        let restored = try restoreSnapshot(control)
        if let restored {
            read = try control.perform { (c) throws(RedisError) in try tail.bootstrap(c, after: restored) }
            source = " after snapshot entry \(restored)"
        } else {
            let start = Feed.retentionStartMilliseconds(calendar: parameters.calendar, now: WallClock.now())
            read = try control.perform { (c) throws(RedisError) in
                try tail.bootstrap(c, retentionStartMilliseconds: start)
            }
            source = ""
        }
        let history = tail.snapshot()
        logger.info(
            "Worker \(name) loaded \(read ?? 0) stream entries\(source): \(history.count) prints of \(history.symbolCount) symbols in \(bootstrapStart.duration(to: .now))")
        try recoverOwnJobs(control)
        startComputeThreads()
        logger.notice("Worker \(name) started")
        async let tailDone: Void = DedicatedThread.run(name: "deeper-tail") { self.tailLoop() }
        async let heartbeatDone: Void = DedicatedThread.run(name: "deeper-heartbeat") { self.heartbeatLoop() }
        async let snapshotDone: Void = DedicatedThread.run(name: "deeper-snapshot") {
            self.snapshotLoop(onDisk: restored ?? .zero)
        }
        await DedicatedThread.run(name: "deeper-jobs") { self.jobLoop() }
        stopping.store(true, ordering: .relaxed)
        jobsDone.store(true, ordering: .relaxed)
        await tailDone
        await heartbeatDone
        await snapshotDone
    }

    // MARK: - Snapshot

    /// Loads the snapshot file, if one is configured and it matches the stream in Redis, into
    /// the tail; returns the last entry it holds (the stream is read after it), or nil after
    /// saying why the whole stream must be read.
    private func restoreSnapshot(_ control: ResilientRedis) throws -> RedisStreamID? {
        guard let path = configuration.snapshotPath else { return nil }
        let started = ContinuousClock.now
        let snapshot: HistorySnapshot
        switch HistorySnapshot.load(from: path, rules: configuration.rules) {
        case .failure(let rejection):
            if rejection.isMissing {
                logger.notice("Worker \(name): \(rejection); reading the whole stream")
            } else {
                logger.warning("Worker \(name) discarded snapshot \(path): \(rejection); reading the whole stream")
            }
            return nil
        case .success(let loaded): snapshot = loaded
        }
        guard let verdict = try control.perform({ (c) throws(RedisError) in try Self.mismatch(of: snapshot, in: c) }) else {
            return nil  // stopping
        }
        if let why = verdict {
            logger.warning("Worker \(name) discarded snapshot \(path): \(why); reading the whole stream")
            return nil
        }
        tail.restore(snapshot)
        logger.notice(
            "Worker \(name) loaded snapshot \(path) written \(Nanos.iso8601(snapshot.writtenAt)): \(snapshot.history.count) prints of \(snapshot.history.symbolCount) symbols up to entry \(snapshot.lastID) in \(started.duration(to: .now)); reading the stream after it")
        return snapshot.lastID
    }

    /// Why `snapshot` is not a history of the stream Redis holds now, or nil when it is.
    ///
    /// The snapshot's last entry must still be in the stream with the same fields: entry ids
    /// are arrival times, so a stream reset and re-fed, or another Redis (a different server,
    /// or the same one restarted without its data), lacks that entry or holds other fields
    /// under its id; and a stream trimmed past it has lost entries the history never saw.
    /// Redis's `run_id` is no help here: it changes on every restart, even one that keeps the
    /// data.
    static func mismatch(of snapshot: HistorySnapshot, in c: RedisConnection) throws(RedisError) -> String? {
        let id = snapshot.lastID.description
        var digest: UInt64?
        try c.xrange(RedisKeys.prints, from: id, to: id, count: 1) { digest = HistorySnapshot.entryDigest($0) }
        if digest == snapshot.lastEntryDigest { return nil }
        if digest != nil {
            return "the stream's entry \(id) holds other fields than the snapshot's last entry: another stream (a different Redis, or the stream deleted and re-fed)"
        }
        var first: RedisStreamID?
        try c.xrange(RedisKeys.prints, count: 1) { first = $0.id }
        guard let first else {
            return "the print stream is gone or empty (Redis restarted without persistence, FLUSHALL or DEL?)"
        }
        guard first > snapshot.lastID else {
            return "the stream no longer holds entry \(id), the snapshot's last (the stream deleted and re-fed, or a different Redis)"
        }
        // Newer entries only. A stream that never lost an entry (XINFO STREAM: entries-added
        // equals length) was not trimmed: it is a new one.
        let info = try c.command(["XINFO", "STREAM", RedisKeys.prints]).array ?? []
        func field(_ name: String) -> Int64? {
            stride(from: 0, to: info.count - 1, by: 2).first { info[$0].string == name }.flatMap { info[$0 + 1].int }
        }
        if let added = field("entries-added"), let length = field("length"), added == length {
            return "the stream no longer holds entry \(id), the snapshot's last, and never lost an entry: a new stream (deleted and re-fed, or a different Redis)"
        }
        return "the stream was trimmed past entry \(id), the snapshot's last (its first entry is \(first)), or deleted and re-fed: entries after it may be gone"
    }

    /// Rewrites the snapshot every `snapshotInterval` while the history changes, and once more
    /// when the worker stops; runs until the job loop is done. `onDisk` is the last entry of
    /// the snapshot already in the file (the one restored), if any.
    private func snapshotLoop(onDisk: RedisStreamID) {
        guard let path = configuration.snapshotPath else { return }
        let redis = makeConnection(commandTimeout: .seconds(10), until: { self.isDone })
        var written = onDisk
        while !isDone {
            sleepThread(for: configuration.snapshotInterval, checkingEvery: .milliseconds(100), until: { isDone })
            if isDone { break }
            writeSnapshot(path, redis, written: &written)
        }
        writeSnapshot(path, redis, written: &written)
    }

    private func writeSnapshot(_ path: String, _ redis: ResilientRedis, written: inout RedisStreamID) {
        let (history, lastID, malformed) = tail.snapshotState()
        guard lastID != .zero, lastID != written else { return }
        let started = ContinuousClock.now
        do {
            let id = lastID.description
            let digest = redis.attempt { (c) throws(RedisError) -> UInt64? in
                var digest: UInt64?
                try c.xrange(RedisKeys.prints, from: id, to: id, count: 1) { digest = HistorySnapshot.entryDigest($0) }
                return digest
            }
            // Gone already (trimmed, or the stream replaced): the tail will rebuild; write later.
            guard let digest = digest ?? nil else { return }
            let snapshot = HistorySnapshot(
                history: history, lastID: lastID, lastEntryDigest: digest, malformedEntries: malformed,
                writtenAt: WallClock.now())
            var pause: (() -> Void)?
            #if DEBUG
            if configuration.testSnapshotDelay > .zero {
                let delay = configuration.testSnapshotDelay
                pause = {
                    self.logger.info("Worker \(self.name) is half-way through writing snapshot \(path)")
                    sleepThread(for: delay)
                }
            }
            #endif
            try snapshot.write(to: path, rules: configuration.rules, pause: pause)
            written = lastID
            logger.info(
                "Worker \(name) wrote snapshot \(path): \(history.count) prints of \(history.symbolCount) symbols up to entry \(lastID) in \(started.duration(to: .now))")
        } catch {
            logger.error("Worker \(name) could not write snapshot \(path): \(error)")
        }
    }

    /// Starts the compute threads now rather than in the first job, and says at what priority
    /// they run (a container may refuse even a lower one).
    private func startComputeThreads() {
        _ = engine.laneSchedulingStates()
        let refused = engine.threadsRefusedPriority
        if refused > 0 {
            logger.warning(
                "Worker \(name): the system refused compute priority '\(engine.priority)' to \(refused) of \(engine.threads) compute threads; they run at the worker's own priority")
        } else {
            logger.info("Worker \(name) computes on \(engine.threads) thread(s) at priority '\(engine.priority)'")
        }
    }

    // MARK: - Tail

    /// Runs until the job loop is done: a job in hand waits for the prints it must see.
    private func tailLoop() {
        let redis = makeConnection(commandTimeout: .seconds(10), until: { self.isDone })
        while !isDone {
            do {
                _ = try redis.perform { (c) throws(RedisError) in try tail.tailOnce(c, block: .seconds(1)) }
            } catch {
                logger.error("Worker \(name) tail: \(error)")
                sleepThread(for: .seconds(1))
            }
        }
    }

    // MARK: - Heartbeat and hand-back

    /// Runs until the job loop is done, so a job being finished after SIGTERM stays this
    /// worker's (no other worker hands it back) until it is written.
    private func heartbeatLoop() {
        let redis = makeConnection(commandTimeout: .seconds(10), until: { self.isDone })
        let ttl = max(1, Int(configuration.heartbeatInterval.whole(.seconds(1))) * 3)
        let started = Nanos.iso8601(WallClock.now())
        while !isDone {
            var w = JSONWriter()
            w.beginObject()
            w.field("worker", name)
            w.field("pid", Int(getpid()))
            w.field("started", started)
            w.field("jobs_completed", completedJobs.load(ordering: .relaxed))
            w.field("timestamp", Nanos.iso8601(WallClock.now()))
            w.endObject()
            do {
                _ = try redis.perform { (c) throws(RedisError) in
                    try c.command(["SET", RedisKeys.heartbeat(name), w.text, "EX", String(ttl)])
                }
                try redis.perform { (c) throws(RedisError) in try reapDeadWorkers(c) }
            } catch {
                logger.error("Worker \(name) heartbeat: \(error)")
            }
            sleepThread(for: configuration.heartbeatInterval, checkingEvery: .milliseconds(100), until: { isDone })
        }
        _ = redis.attempt { (c) throws(RedisError) in try c.command(["DEL", RedisKeys.heartbeat(name)]) }
    }

    /// Hands back the jobs of every worker whose heartbeat has expired.
    func reapDeadWorkers(_ c: RedisConnection) throws(RedisError) {
        try c.scan(match: RedisKeys.processingPrefix + "*") { (key) throws(RedisError) in
            let owner = String(key.dropFirst(RedisKeys.processingPrefix.count))
            if owner != name { try handBack(c, owner: owner, force: false) }
        }
    }

    /// Jobs a previous run under this name held when it died go back to the queue at start.
    private func recoverOwnJobs(_ redis: ResilientRedis) throws {
        _ = try redis.perform { (c) throws(RedisError) in try handBack(c, owner: name, force: true) }
    }

    /// Atomically moves `owner`'s processing list back to the queue (unless its heartbeat is
    /// alive and not `force`), writing each job's `queued` status and event in the same step; a
    /// job handed back more than `maxHandbacks` times goes to the dead list instead, and its
    /// status says failed. A job whose status is already `completed` or `failed` (another
    /// worker finished it while its holder was paused) is dropped, never queued again.
    func handBack(_ c: RedisConnection, owner: String, force: Bool) throws(RedisError) {
        let whose = owner == name ? "a previous run of \(name)" : "worker \(owner) (heartbeat expired)"
        let now = WallClock.now()
        let why = "handed back more than \(configuration.maxHandbacks) times after its workers died"
        let queued = JobMessages.status(.queued, message: "Handed back to the queue: \(whose) held it", worker: name, at: now)
        let failed = JobMessages.status(.failed, message: "Failed: \(why)", worker: name, error: why, at: now)
        let reply = try c.command([
            "EVAL", Self.handBackScript, "5", RedisKeys.processing(owner), RedisKeys.jobs, RedisKeys.handbacks,
            RedisKeys.dead, RedisKeys.heartbeat(owner), String(configuration.maxHandbacks), name,
            Nanos.iso8601(now), force ? "1" : "0", RedisKeys.status(""), String(RedisKeys.statusTTL),
            RedisKeys.events, queued, failed,
        ])
        guard let counts = reply.array?.map({ $0.int ?? 0 }), counts.count == 3 else { return }
        let (requeued, dead, dropped) = (counts[0], counts[1], counts[2])
        guard requeued + dead + dropped > 0 else { return }
        let alsoDropped = dropped > 0 ? "; dropped \(dropped) already completed or failed" : ""
        logger.warning(
            "Worker \(name) moved \(requeued) job(s) of \(whose) back to the queue; \(dead) to the dead list\(alsoDropped)")
    }

    /// A Lua function: whether the status JSON stored at `key` is final (completed or failed).
    static let finalStatusFunction = """
        local function final(key)
          local current = redis.call('GET', key)
          if not current then return false end
          local ok, s = pcall(cjson.decode, current)
          return ok and type(s) == 'table' and (s.status == 'completed' or s.status == 'failed')
        end
        """

    /// KEYS: processing list, queue, hand-back counts, dead list, owner's heartbeat.
    /// ARGV: max hand-backs, this worker, timestamp, force, status key prefix, status TTL,
    /// events channel, `queued` status JSON, `failed` status JSON. Returns {requeued, dead,
    /// dropped}. Status keys are derived from job ids, so this assumes one Redis, not a cluster.
    /// A job's id counts only if `JobRequest.isValidJobID` would take it (the same rule in Lua).
    static let handBackScript = finalStatusFunction + """

        local function say(id, status)
          redis.call('SET', ARGV[5] .. id, status, 'EX', ARGV[6])
          redis.call('PUBLISH', ARGV[7], '{"job_id":' .. cjson.encode(id) .. ',' .. string.sub(status, 2))
        end
        if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[5]) == 1 then return {0, 0, 0} end
        local requeued, dead, dropped = 0, 0, 0
        while true do
          local job = redis.call('RPOP', KEYS[1])
          if not job then break end
          local ok, parsed = pcall(cjson.decode, job)
          local id = nil
          if ok and type(parsed) == 'table' and type(parsed.job_id) == 'string' and #parsed.job_id >= 1
            and #parsed.job_id <= 200 and not string.find(parsed.job_id, '[%s:]') then
            id = parsed.job_id
          end
          if id and final(ARGV[5] .. id) then
            redis.call('HDEL', KEYS[3], job)
            dropped = dropped + 1
          else
            local n = redis.call('HINCRBY', KEYS[3], job, 1)
            if n > tonumber(ARGV[1]) then
              redis.call('HDEL', KEYS[3], job)
              redis.call('LPUSH', KEYS[4], cjson.encode({job = job, reason = 'handed back more than ' .. ARGV[1] ..
                ' times after its workers died', worker = ARGV[2], timestamp = ARGV[3]}))
              if id then say(id, ARGV[9]) end
              dead = dead + 1
            else
              redis.call('RPUSH', KEYS[2], job)
              if id then say(id, ARGV[8]) end
              requeued = requeued + 1
            end
          end
        end
        return {requeued, dead, dropped}
        """

    /// Writes `processing` for a job taken, only while this worker holds it and its status is
    /// not final; a job whose status is final leaves the processing list at once.
    /// KEYS: processing list, status. ARGV: raw job, status JSON, event JSON, status TTL, events
    /// channel. Returns 1 (written: go on), 2 (already final: dropped), 0 (not held: handed back).
    static let startScript = finalStatusFunction + """

        if not redis.call('LPOS', KEYS[1], ARGV[1]) then return 0 end
        if final(KEYS[2]) then
          redis.call('LREM', KEYS[1], 1, ARGV[1])
          return 2
        end
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
        redis.call('PUBLISH', ARGV[5], ARGV[3])
        return 1
        """

    /// Settles a job: only while this worker holds it (LREM removes it), writes the result
    /// (if any), the dead-list entry (if any) and the final status with its event, unless the
    /// status is final already. KEYS: processing list, status, result, hand-back counts, dead
    /// list. ARGV: raw job, status JSON ('' = none), event JSON, status TTL, events channel,
    /// result ('' = none), result TTL, dead entry ('' = none), this worker. Returns 1 (settled),
    /// 2 (held, but the status was final: dropped), 0 (not held: handed back while this worker
    /// was paused), 3 (not held, and settled by this worker: a retry after a lost reply).
    static let settleScript = finalStatusFunction + """

        if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
          if ARGV[2] ~= '' and final(KEYS[2]) then
            local ok, s = pcall(cjson.decode, redis.call('GET', KEYS[2]))
            if ok and s.worker == ARGV[9] then return 3 end
          end
          return 0
        end
        redis.call('HDEL', KEYS[4], ARGV[1])
        if ARGV[8] ~= '' then redis.call('LPUSH', KEYS[5], ARGV[8]) end
        if ARGV[2] == '' then return 1 end
        if final(KEYS[2]) then return 2 end
        if ARGV[6] ~= '' then redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7]) end
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
        redis.call('PUBLISH', ARGV[5], ARGV[3])
        return 1
        """

    // MARK: - Jobs

    /// Most jobs taken in one go: when the queue is deep, the round trips of a batch are shared
    /// by all its jobs; when it is shallow, a batch is one job.
    static let maxBatch = 32

    private func jobLoop() {
        // The job thread's own work (parsing, result JSON, the round trips) is part of the
        // compute too, and weighs about as much as the kernels: it yields to the API like them.
        // The tail and the heartbeat keep the process's priority, so a starved job never
        // silences this worker's heartbeat or lets the stream fall behind.
        configuration.computePriority.applyToCurrentThread()
        let redis = makeConnection(commandTimeout: configuration.pollTimeout + .seconds(10), until: { self.isStopping })
        let seconds = max(1, configuration.pollTimeout.whole(.seconds(1)))
        let processing = RedisKeys.processing(name)
        var more = RedisCommandBatch()
        for _ in 1..<Self.maxBatch { more.append(["LMOVE", RedisKeys.jobs, processing, "RIGHT", "LEFT"]) }
        while !isStopping {
            do {
                let taken = try redis.perform { (c) throws(RedisError) in
                    try c.command(["BLMOVE", RedisKeys.jobs, processing, "RIGHT", "LEFT", String(seconds)])
                }
                guard let taken, let first = taken.bytes else { continue }  // nil: timed out or stopping
                var jobs = [first]
                // More waiting? Take up to a batch without blocking (nil replies once it is empty).
                if !isStopping, let extra = try redis.perform({ (c) throws(RedisError) in try c.pipeline(more) }) {
                    jobs += extra.compactMap(\.bytes)
                }
                try process(jobs, redis)
            } catch {
                logger.error("Worker \(name) job loop: \(error)")
                sleepThread(for: .seconds(1))
            }
        }
    }

    /// A job of a batch, once parsed.
    private struct TakenJob {
        var raw: [UInt8]
        var request: JobRequest
        var symbols: [String] = []
        var avgADV: [String: ExactDecimal] = [:]
    }

    /// Runs jobs taken from the queue, sharing round trips. Every write is retried through
    /// outages (after SIGTERM too, while the process lives), so once a job is in this worker's
    /// processing list it leaves only completed, failed or handed back.
    func process(_ raws: [[UInt8]], _ redis: ResilientRedis) throws(RedisError) {
        let clock = ContinuousClock()
        let started = clock.now
        let processing = RedisKeys.processing(name)
        var jobs: [TakenJob] = []
        var start: [[[UInt8]]] = []
        for raw in raws {
            do {
                jobs.append(TakenJob(raw: raw, request: try JobRequest.parse(raw)))
            } catch {
                logger.warning("Worker \(name): malformed job to the dead list: \(error.reason)")
                let entry = JobMessages.dead(rawJob: raw, reason: error.reason, worker: name, jobID: error.jobID, at: WallClock.now())
                appendSettle(
                    &start, raw: raw, id: error.jobID, .failed, message: "Failed: malformed job: \(error.reason)",
                    error: error.reason, deadEntry: entry)
            }
        }
        // Statuses (fenced), the stream's newest entry, and symbols with their avg_adv: one round trip.
        let firstStart = start.count
        for job in jobs {
            let time = WallClock.now()
            let message = "Processing on \(name)"
            let status = JobMessages.status(.processing, message: message, worker: name, at: time)
            let event = JobMessages.status(.processing, message: message, worker: name, jobID: job.request.jobID, at: time)
            start.append([
                Array("EVAL".utf8), Array(Self.startScript.utf8), Array("2".utf8), Array(processing.utf8),
                Array(RedisKeys.status(job.request.jobID).utf8), job.raw, Array(status.utf8), Array(event.utf8),
                Array(String(RedisKeys.statusTTL).utf8), Array(RedisKeys.events.utf8),
            ])
        }
        var next = start.count
        start.append(Self.bytes(["XREVRANGE", RedisKeys.prints, "+", "-", "COUNT", "1"]))
        let everySymbol = jobs.contains { $0.request.symbols == nil }
        if everySymbol {
            start.append(Self.bytes(["SMEMBERS", RedisKeys.symbols]))
            start.append(Self.bytes(["HGETALL", RedisKeys.avgADV]))
        }
        for job in jobs {
            if let symbols = job.request.symbols, !symbols.isEmpty {
                start.append(Self.bytes(["HMGET", RedisKeys.avgADV] + symbols))
            }
        }
        let ids = jobs.map(\.request.jobID)
        guard let replies = try writeInHand(ids, redis, start) else { return }
        guard !jobs.isEmpty else { return }
        let newest = replies[next].array?.first?.array?.first?.string.flatMap(RedisStreamID.init)
        next += 1
        var allSymbols: [String] = []
        var allADV: [String: ExactDecimal] = [:]
        if everySymbol {
            allSymbols = (replies[next].array ?? []).compactMap(\.string).sorted()
            let flat = replies[next + 1].array ?? []
            var i = 0
            while i + 1 < flat.count {
                if let sym = flat[i].string, let a = flat[i + 1].string.flatMap({ ExactDecimal($0) }) { allADV[sym] = a }
                i += 2
            }
            next += 2
        }
        for k in jobs.indices {
            guard let named = jobs[k].request.symbols else {
                jobs[k].symbols = allSymbols
                jobs[k].avgADV = allADV
                continue
            }
            jobs[k].symbols = named
            if named.isEmpty { continue }
            for (sym, v) in zip(named, replies[next].array ?? []) {
                if let a = v.string.flatMap({ ExactDecimal($0) }) { jobs[k].avgADV[sym] = a }
            }
            next += 1
        }
        // Only the jobs this worker still holds go on.
        var held: [TakenJob] = []
        for (k, job) in jobs.enumerated() {
            switch replies[firstStart + k] {
            case .integer(1): held.append(job)
            case .integer(2):
                logger.warning("Worker \(name): job \(job.request.jobID) was already completed or failed; dropped its copy")
            case .integer(0):
                logger.warning(
                    "Worker \(name): job \(job.request.jobID) was handed back while this worker was paused (its heartbeat expired); dropped its copy")
            case let other:
                logger.error("Worker \(name): job \(job.request.jobID) not started: \(other); it stays in \(processing)")
            }
        }
        guard !held.isEmpty else { return }
        if !tail.waitUntilApplied(newest, timeout: .seconds(30)) {
            logger.warning("Worker \(name): jobs computed before the tail reached \(newest.map { "\($0)" } ?? "the stream's end")")
        }
        #if DEBUG
        if configuration.testJobDelay > .zero { testDelay(until: started + configuration.testJobDelay) }
        #endif

        let history = tail.snapshot()
        let overTime = "exceeded MAX_JOB_TIME (\(configuration.maxJobTime))"
        var outcome: [[[UInt8]]] = []
        for job in held {
            let id = job.request.jobID
            if started.duration(to: clock.now) > configuration.maxJobTime {
                appendSettle(&outcome, raw: job.raw, id: id, .failed, message: "Failed: \(overTime)", error: overTime)
            } else {
                let requests = job.symbols.map { SymbolRequest(storeIndex: history.index(of: $0), avgADV: job.avgADV[$0]) }
                let asOf = job.request.asOf.resolve(now: WallClock.now(), calendar: parameters.calendar)
                let metrics = engine.run(history: history, requests: requests, asOf: asOf, parameters: parameters)
                let result = ResultJSON.jobResultBytes(
                    jobID: id, symbols: job.symbols, metrics: metrics, processedCount: job.symbols.count,
                    finishedAt: WallClock.now())
                let elapsed = started.duration(to: clock.now)
                if elapsed > configuration.maxJobTime {
                    appendSettle(&outcome, raw: job.raw, id: id, .failed, message: "Failed: \(overTime)", error: overTime)
                } else {
                    appendSettle(
                        &outcome, raw: job.raw, id: id, .completed,
                        message: "Completed in \(Report.fixed(elapsed.seconds, 3)) s by \(name)", result: result)
                }
            }
        }
        guard let settled = try writeInHand(held.map(\.request.jobID), redis, outcome) else { return }
        var done = 0
        for (job, reply) in zip(held, settled) {
            switch reply {
            case .integer(1), .integer(3): done += 1  // 3: settled by this worker's earlier, interrupted try
            case .integer(2):
                logger.warning("Worker \(name): job \(job.request.jobID) was completed or failed elsewhere; dropped its copy")
            case .integer(0):
                logger.warning(
                    "Worker \(name): job \(job.request.jobID) was handed back while this worker was paused (its heartbeat expired); dropped its copy")
            case let other:
                logger.error("Worker \(name): job \(job.request.jobID) not written: \(other); it stays in \(processing)")
            }
        }
        completedJobs.add(done, ordering: .relaxed)
    }

    /// Sends `commands` for jobs in hand until Redis takes them, through outages and transient
    /// error replies, even after SIGTERM (then it says once which jobs wait, and where).
    private func writeInHand(_ ids: [String], _ redis: ResilientRedis, _ commands: [[[UInt8]]]) throws(RedisError)
        -> [RedisReply]?
    {
        try redis.pipeline(commands, persistent: true) {
            let which = ids.isEmpty ? "malformed job(s)" : "job(s) \(ids.joined(separator: ", "))"
            self.logger.warning(
                "Worker \(self.name) stopping: \(which) not written yet (Redis unavailable); retrying until Redis is back. Until then they stay in \(RedisKeys.processing(self.name)); if this process is killed first, another worker hands them back once its heartbeat expires"
            )
        }
    }

    /// One `settleScript` call (see there) appended to `commands`: the job leaves the processing
    /// list, and its result, dead-list entry, status and event are written, all only while held.
    func appendSettle(
        _ commands: inout [[[UInt8]]], raw: [UInt8], id: String?, _ state: JobState, message: String,
        error: String? = nil, result: [UInt8]? = nil, deadEntry: String? = nil
    ) {
        let time = WallClock.now()
        let status = id.map { _ in JobMessages.status(state, message: message, worker: name, error: error, at: time) } ?? ""
        let event = id.map { JobMessages.status(state, message: message, worker: name, error: error, jobID: $0, at: time) } ?? ""
        commands.append([
            Array("EVAL".utf8), Array(Self.settleScript.utf8), Array("5".utf8),
            Array(RedisKeys.processing(name).utf8), Array(RedisKeys.status(id ?? "").utf8),
            Array(RedisKeys.result(id ?? "").utf8), Array(RedisKeys.handbacks.utf8), Array(RedisKeys.dead.utf8),
            raw, Array(status.utf8), Array(event.utf8), Array(String(RedisKeys.statusTTL).utf8),
            Array(RedisKeys.events.utf8), result ?? [], Array(String(RedisKeys.resultTTL).utf8),
            Array((deadEntry ?? "").utf8), Array(name.utf8),
        ])
    }

    static func bytes(_ arguments: [String]) -> [[UInt8]] { arguments.map { Array($0.utf8) } }

    #if DEBUG
    /// The test-only slow-job hook: sleeps in small steps (so it notices nothing but time).
    private func testDelay(until end: ContinuousClock.Instant) {
        sleepThread(for: ContinuousClock.now.duration(to: end), checkingEvery: .milliseconds(20))
    }
    #endif

}
