import ArgumentParser
import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import Foundation

/// `deeper-worker-bench`: what one running `deeper worker` sustains, measured from outside
/// through Redis exactly as clients see it. Start a worker against the same Redis first
/// (`scripts/bench-worker` does all of it).
@main
struct WorkerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deeper-worker-bench",
        abstract: "Measure a running worker: job latency, one-symbol job throughput, stream tail rate.",
        discussion: """
            Needs a Redis with one `deeper worker` attached (scripts/bench-worker starts both).
            1. feeds the generated universe (482 symbols, 5 trading days) into the stream;
            2. latency: --latency-jobs jobs of every symbol, one at a time, LPUSH → completed;
            3. throughput: --jobs one-symbol jobs queued at once, until the last completes;
            4. tail: --tail-prints more prints as fast as Redis takes them, then one job that
               completes only after the worker has applied them all;
            5. scale: replaces the stream with a 2,000-symbol set (--scale-prints-per-day prints
               per symbol and day, 5 days; 1600 is the 15.8 M-print scale set) and measures
               all-symbol jobs again, followed as `deeper submit --wait` follows them, plus the
               worker's RSS and Redis's memory per print. --scale-prints-per-day 0 skips it.
            Live results (scripts/bench-live; --stages picks and orders stages):
            refresh: a full refresh of the live publisher in this process (recompute, encode,
               compare every symbol, then the fenced write to Redis) for 482 and 2,000 symbols;
            live: against a worker started with --live --live-clock feed, realistic prints
               XADDed at each --live-rates rate, with probe prints whose XADD → live entry
               (last_price and tick_count showing them, read on the live_updates message) is timed.
            """
    )

    @Option(name: .customLong("redis-port")) var port: Int = 6379
    @Option(name: .customLong("latency-jobs")) var latencyJobs: Int = 40
    @Option var jobs: Int = 20_000
    @Option(name: .customLong("tail-prints")) var tailPrints: Int = 1_500_000
    @Option(name: .customLong("scale-prints-per-day")) var scalePrintsPerDay: Double = 83
    @Option(name: .customLong("scale-jobs")) var scaleJobs: Int = 20
    @Option(help: "Stages, in order: feed, latency, throughput, tail, scale, refresh, live.")
    var stages: String = "feed,latency,throughput,tail,scale"
    @Option(name: .customLong("live-rates"), help: "Feed rates (prints/s) of the live stage.")
    var liveRates: String = "10000,100000"
    @Option(name: .customLong("live-seconds"), help: "Seconds of feed per live rate.")
    var liveSeconds: Double = 5
    @Option(name: .customLong("refresh-repeat"), help: "Full refreshes timed per market in the refresh stage.")
    var refreshRepeat: Int = 20

    func run() throws {
        let redis = try RedisConnection(RedisConfiguration(port: port, commandTimeout: .seconds(60)))
        for stage in stages.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch stage {
            case "feed": try feed(redis)
            case "latency": try latency(redis)
            case "throughput": try throughput(redis)
            case "tail": try tail(redis)
            case "scale": if scalePrintsPerDay > 0 { try scale(redis) }
            case "refresh": try refresh(redis)
            case "live": try live(redis)
            default: throw ValidationError("unknown stage \(stage)")
            }
        }
    }

    /// 1. Feeds the universe dataset (482 symbols, 5 trading days) and its avg_adv.
    func feed(_ redis: RedisConnection) throws {
        try feed(redis, SyntheticMarket(.universe), label: "feed")
    }

    /// Appends every print of `market` to the stream as the feed does, then its avg_adv, and
    /// says how fast.
    func feed(_ redis: RedisConnection, _ market: SyntheticMarket, label: String) throws {
        let raw = market.rawPrints()
        let retention = Feed.retentionStartMilliseconds(calendar: AnalysisParameters().calendar, now: WallClock.now())
        var fed = 0
        let feedStart = ContinuousClock.now
        var i = 0
        while i < raw.prints.count {
            let end = min(raw.prints.count, i + Feed.batchSize)
            fed += try Feed.append(
                redis, prints: raw.prints[i..<end], symbols: raw.symbols, venues: raw.venues,
                retentionStartMilliseconds: retention)
            i = end
        }
        let feedSeconds = feedStart.duration(to: .now).seconds
        _ = try Feed.loadUniverse(
            redis, market.universe.map { UniverseEntry(symbol: $0.name, avgADV: $0.avgADV, group: $0.group) })
        print("\(label): \(fed) prints of \(raw.symbols.count) symbols in \(fmt(feedSeconds)) s = \(Int(Double(fed) / feedSeconds)) prints/s")
    }

    /// 2. Latency of a whole-universe job.
    func latency(_ redis: RedisConnection) throws {
        // Warm-up job: also waits until the worker has the whole universe in memory.
        _ = try Self.runJob(redis, symbols: nil)
        let symbolCount = try redis.command(["SCARD", RedisKeys.symbols]).int ?? 0
        var latencies: [Double] = []
        for _ in 0..<latencyJobs { latencies.append(try Self.runJob(redis, symbols: nil)) }
        latencies.sort()
        let p50 = latencies[latencies.count / 2] * 1000
        let p90 = latencies[latencies.count * 9 / 10] * 1000
        print("latency (\(symbolCount)-symbol job, LPUSH → completed, \(latencyJobs) jobs): median \(fmt(p50)) ms, p90 \(fmt(p90)) ms, max \(fmt(latencies.last! * 1000)) ms")
    }

    /// 3. Throughput of one-symbol jobs.
    func throughput(_ redis: RedisConnection) throws {
        let clock = ContinuousClock()
        let symbols = (try redis.command(["SMEMBERS", RedisKeys.symbols]).array ?? []).compactMap(\.string).sorted()
        guard !symbols.isEmpty else { throw ValidationError("throughput: feed first") }
        var batch = RedisCommandBatch()
        var lastID = ""
        let now = WallClock.now()
        for k in 0..<jobs {
            let job = JobRequest(jobID: "bench-\(k)-\(now)", symbols: [symbols[k % symbols.count]], asOf: .last)
            let status = JobMessages.status(.queued, message: "Job queued", worker: nil, at: now)
            batch.append(["SET", RedisKeys.status(job.jobID), status, "EX", "3600"])
            batch.append(["LPUSH", RedisKeys.jobs, job.queuedJSON()])
            lastID = job.jobID
        }
        let throughputStart = clock.now
        _ = try redis.pipeline(batch)
        while !(try Self.isCompleted(redis, lastID)) { usleep(500) }
        let throughputSeconds = throughputStart.duration(to: clock.now).seconds
        print("throughput: \(jobs) one-symbol jobs in \(fmt(throughputSeconds)) s = \(Int(Double(jobs) / throughputSeconds)) jobs/s")
    }

    /// 4. Tail: feeds prints as fast as possible; a job queued after the last one completes only
    /// once the worker has applied them all.
    func tail(_ redis: RedisConnection) throws {
        let clock = ContinuousClock()
        let calendar = AnalysisParameters().calendar
        let retention = Feed.retentionStartMilliseconds(calendar: calendar, now: WallClock.now())
        let more = SyntheticMarket(.init(symbols: 2000, tradingDays: 5, printsPerSymbolDay: Double(tailPrints) / 10_000))
        let extra = more.rawPrints()
        let count = min(tailPrints, extra.prints.count)
        let tailStart = clock.now
        var i = 0
        while i < count {
            let end = min(count, i + Feed.batchSize)
            try Feed.append(
                redis, prints: extra.prints[i..<end], symbols: extra.symbols, venues: extra.venues,
                retentionStartMilliseconds: retention)
            i = end
        }
        let fedSeconds = tailStart.duration(to: clock.now).seconds
        _ = try Self.runJob(redis, symbols: [extra.symbols[0]])
        let appliedSeconds = tailStart.duration(to: clock.now).seconds
        print("tail: \(count) prints arrived at \(Int(Double(count) / fedSeconds)) prints/s; the worker had applied them all \(fmt(appliedSeconds)) s after the first arrived = \(Int(Double(count) / appliedSeconds)) prints/s")
    }

    /// 5. All-symbol jobs over 2,000 symbols, on a stream that holds only them.
    func scale(_ redis: RedisConnection) throws {
        let market = SyntheticMarket(.init(symbols: 2000, tradingDays: 5, printsPerSymbolDay: scalePrintsPerDay))
        // The worker notices the stream was replaced and rebuilds its history from the new one.
        _ = try redis.pipeline([["DEL", RedisKeys.prints, RedisKeys.symbols, RedisKeys.avgADV]])
        try feed(redis, market, label: "scale feed")
        _ = try Self.runJob(redis, symbols: nil)  // waits until the worker has the new stream

        // Followed as `deeper submit --wait` does: the completed event, then the result read
        // and summarized.
        let subscriber = try RedisConnection(RedisConfiguration(port: port, commandTimeout: .seconds(60)))
        var toEvent: [Double] = []
        var toSummary: [Double] = []
        var resultBytes = 0
        for _ in 0..<scaleJobs {
            let job = JobRequest(jobID: JobQueue.newJobID(), symbols: nil, asOf: .last)
            let start = ContinuousClock.now
            let final = try JobQueue.enqueueAndFollow(
                job, on: redis, subscriber: subscriber, at: WallClock.now(), timeout: .seconds(60))
            guard final?.state == .completed else { throw ValidationError("job \(job.jobID) ended \(String(describing: final))") }
            toEvent.append(start.duration(to: .now).seconds * 1000)
            let summary = try redis.withReply(["GET", RedisKeys.result(job.jobID)]) { reply in
                resultBytes = reply.bytes.count
                return JobResultSummary(json: reply.bytes, top: 10)?.render()
            }
            guard summary != nil else { throw ValidationError("unreadable result of \(job.jobID)") }
            toSummary.append(start.duration(to: .now).seconds * 1000)
        }
        toEvent.sort()
        toSummary.sort()
        print("latency (\(market.universe.count)-symbol job, LPUSH → completed event, \(scaleJobs) jobs): median \(fmt(toEvent[toEvent.count / 2])) ms, p90 \(fmt(toEvent[toEvent.count * 9 / 10])) ms; → summary of its \(resultBytes / 1000) KB result read: median \(fmt(toSummary[toSummary.count / 2])) ms")

        // Memory: the worker's resident set (same host: its heartbeat names its pid) and Redis's.
        let entries = try redis.command(["XLEN", RedisKeys.prints]).int ?? 0
        // The stream alone (results of the jobs above also live in Redis, for 2 h).
        let bytes = try redis.command(["MEMORY", "USAGE", RedisKeys.prints, "SAMPLES", "0"]).int ?? 0
        print("redis: \(entries) stream entries in \(bytes / 1_000_000) MB = \(fmt(Double(bytes) / Double(max(entries, 1)))) bytes per print")
        for key in try redis.command(["KEYS", RedisKeys.heartbeat("*")]).array?.compactMap(\.string) ?? [] {
            guard let beat = try redis.command(["GET", key]).string,
                let pid = (try? JSONSerialization.jsonObject(with: Data(beat.utf8)) as? [String: Any])?["pid"] as? Int,
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kb = Int(line.split(separator: " ").dropFirst().first ?? "")
            else { continue }
            print("worker \(key.dropFirst(RedisKeys.heartbeat("").count)) (pid \(pid)): RSS \(kb / 1000) MB = \(fmt(Double(kb) * 1000 / Double(max(entries, 1)))) bytes per print held")
        }
    }

    /// Queues a job and waits for its completion; returns LPUSH → completed seconds.
    static func runJob(_ redis: RedisConnection, symbols: [String]?) throws -> Double {
        let job = JobRequest(jobID: JobQueue.newJobID(), symbols: symbols, asOf: .last)
        let start = ContinuousClock.now
        try JobQueue.enqueue(redis, job, at: WallClock.now())
        while !(try isCompleted(redis, job.jobID)) { usleep(100) }
        return start.duration(to: .now).seconds
    }

    static func isCompleted(_ redis: RedisConnection, _ id: String) throws -> Bool {
        guard let s = try redis.command(["GET", RedisKeys.status(id)]).string else { return false }
        if s.contains("\"failed\"") { throw ValidationError("job \(id) failed: \(s)") }
        return s.contains("\"completed\"")
    }

    func fmt(_ v: Double) -> String { Report.fixed(v, 2) }
}
