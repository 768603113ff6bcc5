import ArgumentParser
import CMallocCounter
import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperWorker
import Foundation
import Synchronization

extension WorkerBench {
    // MARK: - Refresh: the live publisher's full refresh, in this process

    /// Times a full refresh as the live publisher does it every `LIVE_REFRESH`: recompute every
    /// symbol, encode its JSON, compare with what was published (all differ: as_of moved 1 s),
    /// then the one fenced write. Writes the live keys under a lease of its own: run it while no
    /// live worker is attached (it deletes the keys after).
    func refresh(_ redis: RedisConnection) throws {
        for (label, configuration) in [
            ("482 symbols (universe)", SyntheticMarket.Configuration.universe),
            ("2,000 symbols (universe density)", .init(symbols: 2000, tradingDays: 5, printsPerSymbolDay: 83)),
        ] {
            let market = SyntheticMarket(configuration)
            let raw = market.rawPrints()
            let parameters = AnalysisParameters()
            var history = LiveHistory(rules: parameters.rules)
            let ids = raw.symbols.map { history.internSymbol($0) }
            let venues = raw.venues.map { history.internVenue($0) }
            for p in raw.prints {
                history.append(symbolID: ids[Int(p.symbol)], time: p.time, price: p.price, size: p.size, venueID: venues[Int(p.venue)])
            }
            var adv: [String: ExactDecimal] = [:]
            for s in market.universe { adv[s.name] = s.avgADV }
            let newest = raw.prints.map(\.time).max() ?? 0
            let name = "deeper-worker-bench"
            _ = try redis.command(["SET", RedisKeys.liveLeader, name, "PX", "600000"])
            defer { _ = try? redis.command(["DEL", RedisKeys.liveLeader, RedisKeys.live, RedisKeys.livePrints, RedisKeys.liveMeta]) }

            var results = LiveResults(parameters: parameters)
            let clock = ContinuousClock()
            // The first publish after taking the lease: every entry and every chart list.
            var first = LiveResults.Changes()
            var started = clock.now
            results.update(
                history: history, ids: 0..<history.symbolCount, asOf: .instant(newest), avgADV: adv, prints: true,
                into: &first)
            let firstCompute = started.duration(to: clock.now).seconds
            let firstCommand = first.publishCommand(
                worker: name, clock: .feed, asOf: newest, symbols: results.publishedCount, replace: true)
            started = clock.now
            guard try redis.pipeline(firstCommand).first?.int == 1 else { throw ValidationError("refresh: the fenced write refused") }
            let firstWrite = started.duration(to: clock.now).seconds
            let firstBytes = firstCommand.byteCount

            var compute: [Double] = []
            var write: [Double] = []
            var bytes = 0
            for k in 1...max(1, refreshRepeat) {
                let asOf = newest + Int64(k) * 1_000_000_000
                var changes = LiveResults.Changes()
                started = clock.now
                results.update(
                    history: history, ids: 0..<history.symbolCount, asOf: .instant(asOf), avgADV: adv, prints: true,
                    into: &changes)
                compute.append(started.duration(to: clock.now).seconds)
                let command = changes.publishCommand(
                    worker: name, clock: .feed, asOf: asOf, symbols: results.publishedCount, replace: false)
                bytes = command.byteCount
                started = clock.now
                guard try redis.pipeline(command).first?.int == 1 else { throw ValidationError("refresh: the fenced write refused") }
                write.append(started.duration(to: clock.now).seconds)
            }
            // A refresh where nothing changed (the same as_of again): what an unchanged symbol
            // costs in heap allocations (the kernels' workspace and the JSON buffer are reused).
            var unchanged = LiveResults.Changes()
            let lastAsOf = newest + Int64(max(1, refreshRepeat)) * 1_000_000_000
            let mallocsBefore = deeper_malloc_count()
            results.update(
                history: history, ids: 0..<history.symbolCount, asOf: .instant(lastAsOf), avgADV: adv, prints: true,
                into: &unchanged)
            let mallocs = deeper_malloc_count() - mallocsBefore
            let perSymbol =
                deeper_malloc_counting() != 0
                ? "\(Report.fixed(Double(mallocs) / Double(history.symbolCount), 2)) heap allocations per unchanged symbol"
                : "allocations not counted here"
            compute.sort()
            write.sort()
            print(
                "live refresh, \(label), \(raw.prints.count) prints: recompute + encode + compare median \(fmt(compute[compute.count / 2] * 1000)) ms, fenced write median \(fmt(write[write.count / 2] * 1000)) ms (\(bytes / 1024) KiB); first publish with chart lists \(fmt(firstCompute * 1000)) + \(fmt(firstWrite * 1000)) ms (\(firstBytes / 1024) KiB); \(unchanged.entries.count) changed when nothing did, \(perSymbol)"
            )
        }
    }

    // MARK: - Live: XADD → live entry

    /// A probe print in flight: its symbol's live entry shows it when `last_price` is `price`.
    struct Probe {
        var price: Double
        var sentAt: ContinuousClock.Instant
    }

    /// What the feeding and the listening threads share.
    final class ProbeBoard: Sendable {
        let observed = Mutex(Observed())
        let stop = Atomic<Bool>(false)
        let ready = Atomic<Bool>(false)
    }

    /// What the listener thread saw.
    struct Observed {
        var outstanding: [String: Probe] = [:]
        var latencies: [Double] = []
        /// tick_count of the entry when its last probe showed, by symbol.
        var ticks: [String: Int] = [:]
        /// Entries that showed a probe with a tick_count other than the previous probe's + 1.
        var tickMismatches = 0
    }

    /// Feeds realistic prints (the universe generator's, restamped to continue its tape) at each rate for
    /// `liveSeconds`, with probe prints every 5 ms, and times XADD → the probe in the live entry.
    /// Needs the universe fed and one worker with `--live --live-clock feed` attached.
    func live(_ redis: RedisConnection) throws {
        // Without a live worker (the "off" side of the comparison) only the jobs run beside the feed.
        let probing = (try redis.command(["EXISTS", RedisKeys.liveLeader]).int ?? 0) == 1
        let market = SyntheticMarket(.universe)
        let raw = market.rawPrints()
        // Probe symbols get no background prints, so a probe's tick is the only change of its entry.
        let probeSymbols = Array(raw.symbols.sorted().prefix(16))
        let probeIDs = Set(probeSymbols.compactMap { raw.symbols.firstIndex(of: $0) }.map(Int32.init))
        let background = raw.prints.filter { !probeIDs.contains($0.symbol) }
        let calendar = AnalysisParameters().calendar
        // Prints continue the generated tape: stamped from just after its newest print, a
        // millisecond of tape per millisecond of feed, so each symbol keeps its five days.
        let tapeStart = (raw.prints.map(\.time).max() ?? 0) / Nanos.perMillisecond + 1
        let feedStart = ContinuousClock.now
        func tapeNow() -> Int64 { tapeStart + feedStart.duration(to: .now).whole(.milliseconds(1)) }

        // Each rate with the feed alone; then the first rate again with whole-universe jobs back
        // to back beside it (job latency with live on vs off, and what jobs cost the probes).
        let rates = liveRates.split(separator: ",").compactMap { Int($0) }
        let passes = (probing ? rates.map { ($0, false) } : []) + rates.prefix(1).map { ($0, true) }
        for (rate, withJobs) in passes {
            let board = ProbeBoard()
            let port = port
            let listener = Thread {
                do {
                    try Self.listen(port: port, board: board)
                } catch {
                    print("live: listener: \(error)")
                }
            }
            if probing {
                listener.start()
                while !board.ready.load(ordering: .relaxed) { usleep(1_000) }
            }
            // Whole-universe jobs back to back beside the feed, on a connection of their own.
            let jobLatencies = Mutex<[Double]>([])
            let jobs = Thread {
                guard withJobs else { return }
                guard let r = try? RedisConnection(RedisConfiguration(port: port, commandTimeout: .seconds(60))) else { return }
                while !board.stop.load(ordering: .relaxed) {
                    guard let seconds = try? Self.runJob(r, symbols: nil) else { return }
                    jobLatencies.withLock { $0.append(seconds) }
                }
            }
            jobs.start()

            let clock = ContinuousClock()
            let start = clock.now
            let end = start + .seconds(liveSeconds)
            let retention = Feed.retentionStartMilliseconds(calendar: calendar, now: WallClock.now())
            var sent = 0
            var cursor = 0
            var probes = 0
            var lost = 0
            var nextProbe = start
            var probeSeq = 0
            while clock.now < end {
                let now = clock.now
                if probing && now >= nextProbe {
                    nextProbe = now + .milliseconds(5)
                    let symbol = probeSymbols[probeSeq % probeSymbols.count]
                    let free = board.observed.withLock { o -> Bool in
                        if let p = o.outstanding[symbol] {
                            guard p.sentAt.duration(to: now) > .seconds(2) else { return false }
                            o.outstanding[symbol] = nil
                            lost += 1
                        }
                        return true
                    }
                    if free {
                        // $5.0001…$8.9999: never a background price, so last_price tells the probe.
                        let ticks = Int64(50_001 + probeSeq % 39_999)
                        let ms = tapeNow()
                        let sentAt = clock.now
                        board.observed.withLock { $0.outstanding[symbol] = Probe(price: Double(ticks) / 10_000, sentAt: sentAt) }
                        _ = try redis.command([
                            "XADD", RedisKeys.prints, "*", "sym", symbol, "t", String(ms), "p", PriceFormat.decimal(ticks),
                            "s", "100", "v", "NSDQ",
                        ])
                        probes += 1
                    }
                    probeSeq += 1
                }
                // Background prints due by now, restamped to now, in one pipeline.
                let due = Int(Double(rate) * start.duration(to: clock.now).seconds)
                let n = min(Feed.batchSize, due - sent)
                if n > 0 {
                    let ms = tapeNow()
                    var batch: [RawPrint] = []
                    batch.reserveCapacity(n)
                    for _ in 0..<n {
                        var p = background[cursor % background.count]
                        p.time = ms * Nanos.perMillisecond
                        batch.append(p)
                        cursor += 1
                    }
                    try Feed.append(
                        redis, prints: batch[...], symbols: raw.symbols, venues: raw.venues,
                        retentionStartMilliseconds: retention)
                    sent += n
                } else {
                    usleep(200)
                }
            }
            let fedSeconds = start.duration(to: clock.now).seconds
            // Let the last probes land.
            let drain = clock.now + .seconds(3)
            while clock.now < drain && !board.observed.withLock({ $0.outstanding.isEmpty }) { usleep(1_000) }
            board.stop.store(true, ordering: .relaxed)
            while probing && !listener.isFinished { usleep(1_000) }
            while !jobs.isFinished { usleep(1_000) }
            let j = jobLatencies.withLock { $0 }.sorted()
            let jobText =
                !withJobs ? "no jobs beside it"
                : j.isEmpty
                ? "no job completed"
                : "\(j.count) \(raw.symbols.count)-symbol jobs back to back beside it: median \(fmt(j[j.count / 2] * 1000)) ms, p90 \(fmt(j[j.count * 9 / 10] * 1000)) ms"
            guard probing else {
                print("feed at \(rate) prints/s without a live worker (achieved \(Int(Double(sent) / fedSeconds)) prints/s): \(jobText)")
                continue
            }
            let o = board.observed.withLock { $0 }
            lost += o.outstanding.count
            let l = o.latencies.sorted()
            guard !l.isEmpty else {
                print("live at \(rate) prints/s: no probe showed in its live entry")
                continue
            }
            func q(_ f: Double) -> String { fmt(l[min(l.count - 1, Int(Double(l.count) * f))] * 1000) }
            print(
                "live at \(rate) prints/s (achieved \(Int(Double(sent) / fedSeconds)) prints/s of \(raw.symbols.count - probeSymbols.count) symbols + \(probes) probes on \(probeSymbols.count)): XADD → live entry p50 \(q(0.5)) ms, p90 \(q(0.9)) ms, p99 \(q(0.99)) ms, max \(fmt(l.last! * 1000)) ms over \(l.count) probes; \(lost) not seen within 2 s; \(o.tickMismatches) tick_count mismatches; \(jobText)"
            )
        }
    }

    /// Subscribes to the live updates; on each message naming a symbol with a probe in flight,
    /// reads its entry and records the probe when `last_price` shows it.
    static func listen(port: Int, board: ProbeBoard) throws {
        let subscriber = try RedisConnection(RedisConfiguration(port: port))
        let reader = try RedisConnection(RedisConfiguration(port: port))
        try subscriber.subscribe([RedisKeys.liveUpdates], pollInterval: .milliseconds(20), until: { board.stop.load(ordering: .relaxed) }) {
            message in
            if message.kind == .subscribed { board.ready.store(true, ordering: .relaxed) }
            guard message.kind == .message else { return }
            let payload = String(decoding: message.payload, as: UTF8.self)
            let waiting = board.observed.withLock { Array($0.outstanding.keys) }
            for symbol in waiting where payload.contains("\"\(symbol)\"") {
                guard let text = try? reader.command(["HGET", RedisKeys.live, symbol]).string,
                    let entry = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                    let last = (entry["last_price"] as? NSNumber)?.doubleValue,
                    let ticks = (entry["tick_count"] as? NSNumber)?.intValue
                else { continue }
                let now = ContinuousClock.now
                board.observed.withLock { o in
                    guard let probe = o.outstanding[symbol], abs(probe.price - last) < 1e-9 else { return }
                    o.latencies.append(probe.sentAt.duration(to: now).seconds)
                    if let before = o.ticks[symbol], ticks != before + 1 { o.tickMismatches += 1 }
                    o.ticks[symbol] = ticks
                    o.outstanding[symbol] = nil
                }
            }
        }
    }
}
