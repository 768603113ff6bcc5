import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import DeeperWorker
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Live results (docs/REDIS.md, "Live results") from real `deeper worker --live` processes
/// against a private redis-server.
@Suite(.serialized) struct LiveTests {
    /// The live hash as parsed JSON, by symbol.
    static func liveEntries(_ h: WorkerHarness) throws -> [String: [String: Any]] {
        let flat = try h.redis.command(["HGETALL", RedisKeys.live]).array ?? []
        var out: [String: [String: Any]] = [:]
        var i = 0
        while i + 1 < flat.count {
            if let k = flat[i].string, let v = flat[i + 1].string { out[k] = try parseJSON(v) as? [String: Any] }
            i += 2
        }
        return out
    }

    static func meta(_ h: WorkerHarness) -> [String: Any]? {
        guard let text = try? h.redis.command(["GET", RedisKeys.liveMeta]).string else { return nil }
        return (try? parseJSON(text)) as? [String: Any]
    }

    static func liveArguments(lease: String = "2", clock: String = "feed") -> [String] {
        ["--live", "--live-clock", clock, "--live-refresh", "0.2", "--live-lease", lease]
    }

    /// Waits until every live entry equals `deeper analyze` of the sample at its newest print,
    /// field by field, with the meta and the lease naming `name`; returns that newest print's time.
    @discardableResult
    static func expectLiveEqualsOfflineAnalysis(_ h: WorkerHarness, _ worker: DeeperProcess, named name: String) throws -> Int64 {
        let prints = DeeperProcess.path("fixtures/sample-prints.csv")
        let input = try OfflineInput.load(
            printsPath: prints, universePath: DeeperProcess.path("fixtures/sample-universe.csv"), rules: .default,
            skipInvalid: false)
        let newest = try #require(input.store.columns.time.max())
        let asOf = Nanos.iso8601(newest)
        let offline = try DeeperProcess.run([
            "analyze", prints, "--universe", DeeperProcess.path("fixtures/sample-universe.csv"), "--as-of", asOf,
            "--format", "json",
        ])
        #expect(offline.status == 0, "\(offline.stderr)")
        let expected = try #require((try parseJSON(offline.stdout) as? [String: Any])?["data"] as? [String: Any])
        #expect(expected.count == 36)

        // Entries of symbols the tail touched last are at the newest as_of at once, the others
        // after the next full refresh (0.2 s).
        var mismatches: [String] = ["nothing published"]
        let settled = waitUntil(timeout: .seconds(20)) {
            guard let live = try? Self.liveEntries(h) else { return false }
            mismatches = []
            if Set(live.keys) != Set(expected.keys) {
                mismatches.append("symbols differ: \(Set(live.keys).symmetricDifference(expected.keys).sorted())")
            }
            for (symbol, e) in expected {
                guard let got = live[symbol] else { continue }
                mismatches += jsonMismatches(e, got, path: symbol)
                mismatches += jsonMismatches(got, e, path: symbol).map { "extra: " + $0 }
            }
            return mismatches.isEmpty
        }
        #expect(settled, "\(mismatches.prefix(10).joined(separator: "\n"))\n\(worker.log)")
        let meta = try #require(Self.meta(h))
        #expect(meta["as_of"] as? String == asOf)
        #expect(meta["worker"] as? String == name)
        #expect(meta["symbols"] as? Int == 36)
        #expect(try h.redis.command(["GET", RedisKeys.liveLeader]).string == name)
        return newest
    }

    /// After a replay, with the feed clock, every live entry equals `deeper analyze FILE
    /// --as-of <newest print>` field by field, and the chart's prints of a symbol are the stream's.
    @Test func replayWithTheFeedClockEqualsOfflineAnalysisAtTheNewestPrint() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("live", Self.liveArguments())
        defer { worker.signal(SIGKILL) }
        let newest = try Self.expectLiveEqualsOfflineAnalysis(h, worker, named: "live")
        let asOf = Nanos.iso8601(newest)

        // The chart's list of one symbol: its eligible prints on the stream from the open five
        // trading days back to as_of, oldest first, lit for a venue outside the FINRA list.
        let symbol = "OFN"
        let chartText = try #require(try h.redis.command(["HGET", RedisKeys.livePrints, symbol]).string)
        let chart = try #require(try parseJSON(chartText) as? [String: Any])
        let from = AnalysisParameters().calendar.windowStart(tradingDays: 5, at: newest)
        #expect(chart["symbol"] as? String == symbol)
        #expect(chart["as_of"] as? String == asOf)
        #expect(chart["from"] as? String == Nanos.iso8601(from))
        var t: [Int64] = []
        var p: [String] = []
        var s: [Int] = []
        var lit: [Bool] = []
        for entry in try h.redis.command(["XRANGE", RedisKeys.prints, "-", "+"]).array ?? [] {
            let fields = entry.array?[1].array?.compactMap(\.string) ?? []
            var f: [String: String] = [:]
            for k in stride(from: 0, to: fields.count - 1, by: 2) { f[fields[k]] = fields[k + 1] }
            guard f["sym"] == symbol, let ms = Int64(f["t"] ?? ""), let size = Int(f["s"] ?? ""), size >= 20 else { continue }
            guard ms * Nanos.perMillisecond >= from, ms * Nanos.perMillisecond <= newest else { continue }
            t.append(ms)
            p.append(f["p"] ?? "")
            s.append(size)
            let venue = (f["v"] ?? "").uppercased()
            lit.append(!venue.isEmpty && venue != "FNRA")
        }
        #expect(!t.isEmpty)
        // The stream is in arrival order; the chart in time order (equal times keep arrival order).
        let order = t.indices.sorted { (t[$0], $0) < (t[$1], $1) }
        #expect((chart["t"] as? [NSNumber])?.map(\.int64Value) == order.map { t[$0] })
        #expect((chart["p"] as? [NSNumber])?.map(\.doubleValue) == order.map { Double(p[$0])! })
        #expect((chart["s"] as? [NSNumber])?.map(\.intValue) == order.map { s[$0] })
        #expect((chart["lit"] as? [Bool]) == order.map { lit[$0] })
    }

    /// A live worker started from a snapshot, with no print arriving after it, publishes at
    /// the snapshot's newest print under the feed clock, as one that read the stream does.
    @Test func aLiveWorkerStartedFromASnapshotPublishesAtItsNewestPrint() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).snapshot")
        defer { try? FileManager.default.removeItem(at: file) }
        let writer = try h.startWorker("writer", ["--snapshot", file.path])
        #expect(writer.waitForLog("started"), "\(writer.log)")
        writer.signal(SIGTERM)
        #expect(writer.waitForExit(timeout: .seconds(15)) == 0)
        #expect(writer.log.contains("wrote snapshot"), "\(writer.log)")

        let worker = try h.startWorker("restored", ["--snapshot", file.path] + Self.liveArguments())
        defer { worker.signal(SIGKILL) }
        #expect(worker.waitForLog("loaded snapshot"), "\(worker.log)")
        try Self.expectLiveEqualsOfflineAnalysis(h, worker, named: "restored")
    }

    /// A print XADDed reaches its symbol's live entry (tick count and last price), announced on
    /// the updates channel after the entry is written.
    @Test func aPrintReachesItsLiveEntryAndIsAnnounced() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("announcer", Self.liveArguments(clock: "wall"))
        defer { worker.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(10)) { (try? Self.liveEntries(h))?.count == 36 }, "\(worker.log)")
        let before = try #require(try Self.liveEntries(h)["OFN"])
        let ticks = try #require(before["tick_count"] as? Int)

        let listener = try RedisConnection(RedisConfiguration(port: h.server.port))
        // Each announcement, with OFN's entry as read right after it.
        let seen = Mutex<[(announcement: String, entry: String)]>([])
        let stop = Atomic<Bool>(false)
        let subscribed = Atomic<Bool>(false)
        let thread = Thread {
            try? listener.subscribe([RedisKeys.liveUpdates], pollInterval: .milliseconds(20), until: { stop.load(ordering: .relaxed) }) { m in
                if m.kind == .subscribed { subscribed.store(true, ordering: .relaxed) }
                guard m.kind == .message else { return }
                let text = String(decoding: m.payload, as: UTF8.self)
                // After the announcement, the entry holds the print already.
                let entry = (try? RedisConnection(RedisConfiguration(port: h.server.port)).command(["HGET", RedisKeys.live, "OFN"]).string) ?? nil
                seen.withLock { $0.append((text, entry ?? "")) }
            }
        }
        thread.start()
        defer { stop.store(true, ordering: .relaxed) }
        #expect(waitUntil(timeout: .seconds(5)) { subscribed.load(ordering: .relaxed) })
        // One ms after the sample's newest print (so it is OFN's last, in any clock), at a new price.
        let t = 1_763_765_958_007
        _ = try h.redis.command(["XADD", RedisKeys.prints, "*", "sym", "OFN", "t", String(t), "p", "31.2345", "s", "300", "v", "NSDQ"])
        // The announcement that names OFN, not any other (the wall clock's refreshes announce
        // other symbols meanwhile; matching "OFN" in the pair's text used to pick those up by
        // their entry).
        func namesOFN(_ announcement: String) -> Bool {
            let update = (try? parseJSON(announcement)) as? [String: Any]
            return (update?["symbols"] as? [String])?.contains("OFN") == true
        }
        #expect(
            waitUntil(timeout: .seconds(5)) {
                seen.withLock { $0.contains { namesOFN($0.announcement) && $0.entry.contains("\"last_price\":31.2345") } }
            }, "\(seen.withLock { $0 })")
        let after = try #require(try Self.liveEntries(h)["OFN"])
        #expect(after["tick_count"] as? Int == ticks + 1)
        #expect((after["last_price"] as? NSNumber)?.doubleValue == 31.2345)
        let message = try #require(seen.withLock { $0.first { namesOFN($0.announcement) && $0.entry.contains("31.2345") } })
        let update = try #require(try parseJSON(message.announcement) as? [String: Any])
        #expect(update["as_of"] is String)
    }

    /// SIGKILL the lease holder: the standby publishes within two lease periods, and republishes
    /// every symbol.
    @Test func theLeaseFailsOverWhenTheHolderIsKilled() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let first = try h.startWorker("first", Self.liveArguments(lease: "2"))
        defer { first.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(10)) { Self.meta(h)?["worker"] as? String == "first" }, "\(first.log)")
        let standby = try h.startWorker("standby", Self.liveArguments(lease: "2"))
        defer { standby.signal(SIGKILL) }
        // The standby does not publish while the lease is held.
        sleepThread(for: .seconds(1))
        #expect(Self.meta(h)?["worker"] as? String == "first")
        _ = try h.redis.command(["DEL", RedisKeys.live])  // So "republishes everything" shows.
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeout: .seconds(5)) != nil)
        #expect(
            waitUntil(timeout: .seconds(4)) { Self.meta(h)?["worker"] as? String == "standby" },
            "no takeover within two leases\n\(standby.log)")
        #expect((try? Self.liveEntries(h))?.count == 36)
        #expect(try h.redis.command(["GET", RedisKeys.liveLeader]).string == "standby")
        #expect(standby.log.contains("Worker standby took the live lease"))
    }

    /// A holder paused past its lease (SIGSTOP) and woken while the other worker holds it never
    /// publishes again: every meta written names the holder of the lease.
    @Test func aPausedHolderNeverPublishesOnceAnotherHoldsTheLease() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let sleeper = try h.startWorker("sleeper", Self.liveArguments(lease: "1"))
        defer { sleeper.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(10)) { Self.meta(h)?["worker"] as? String == "sleeper" }, "\(sleeper.log)")
        let other = try h.startWorker("other", Self.liveArguments(lease: "1"))
        defer { other.signal(SIGKILL) }
        sleeper.signal(SIGSTOP)
        #expect(waitUntil(timeout: .seconds(5)) { Self.meta(h)?["worker"] as? String == "other" }, "\(other.log)")
        sleeper.signal(SIGCONT)
        // Prints keep coming, so a publisher that believed it still led would write; watch every
        // meta for two seconds.
        var writers = Set<String>()
        var t: Int64 = 1_763_765_958_100
        let end = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < end {
            t += 1
            _ = try h.redis.command(["XADD", RedisKeys.prints, "*", "sym", "OFN", "t", String(t), "p", "25.01", "s", "100", "v", "NSDQ"])
            if let w = Self.meta(h)?["worker"] as? String { writers.insert(w) }
            usleep(10_000)
        }
        #expect(writers == ["other"], "\(sleeper.log)")
        #expect(try h.redis.command(["GET", RedisKeys.liveLeader]).string == "other")
        #expect(
            waitUntil(timeout: .seconds(5)) { sleeper.log.contains("Worker sleeper lost the live lease") }, "\(sleeper.log)")
    }

    /// The fence itself: a publish finds the lease taken by another name (here written by the
    /// test, with a renewal 10 s away) and writes nothing, not even meta.
    @Test func aPublishWithoutTheLeaseWritesNothing() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("fenced", Self.liveArguments(lease: "30"))
        defer { worker.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(10)) { Self.meta(h)?["worker"] as? String == "fenced" }, "\(worker.log)")
        let before = try #require(try h.redis.command(["GET", RedisKeys.liveMeta]).string)
        let entry = try #require(try h.redis.command(["HGET", RedisKeys.live, "OFN"]).string)
        _ = try h.redis.command(["SET", RedisKeys.liveLeader, "usurper", "PX", "60000"])
        _ = try h.redis.command(["XADD", RedisKeys.prints, "*", "sym", "OFN", "t", "1763765958008", "p", "30.5", "s", "100", "v", "NSDQ"])
        #expect(waitUntil(timeout: .seconds(5)) { worker.log.contains("lost the live lease (found at publish)") }, "\(worker.log)")
        #expect(try h.redis.command(["GET", RedisKeys.liveMeta]).string == before)
        #expect(try h.redis.command(["HGET", RedisKeys.live, "OFN"]).string == entry)
        #expect(try h.redis.command(["GET", RedisKeys.liveLeader]).string == "usurper")
    }

    /// A job taken while a feed keeps the stream growing is computed as soon as the tail has
    /// passed the stream's end as the job saw it: the tail being ahead of the job's entry is not
    /// a replaced stream (before, every such job waited out the 30 s limit).
    @Test func aJobTakenDuringAFeedDoesNotWaitForTheTailLimit() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        // Each job held 300 ms after it read the stream's end, while prints keep coming.
        let worker = try h.startWorker("busy", Self.liveArguments() + ["--test-job-delay-ms", "300"])
        defer { worker.signal(SIGKILL) }
        let feeding = Atomic<Bool>(true)
        let port = h.server.port
        let feeder = Thread {
            guard let r = try? RedisConnection(RedisConfiguration(port: port)) else { return }
            var t: Int64 = 1_763_765_958_100
            while feeding.load(ordering: .relaxed) {
                // Bursts, so the tail is usually ahead of a job's entry by the time the job waits.
                var burst = RedisCommandBatch()
                for _ in 0..<50 {
                    t += 1
                    burst.append(["XADD", RedisKeys.prints, "*", "sym", "OFN", "t", String(t), "p", "25.01", "s", "100", "v", "NSDQ"])
                }
                _ = try? r.pipeline(burst)
                usleep(1_000)
            }
        }
        feeder.start()
        defer { feeding.store(false, ordering: .relaxed) }
        usleep(200_000)
        for _ in 0..<3 {
            let id = try h.submit()
            #expect(h.waitFor(id, "completed", timeout: .seconds(10)), "\(h.status(id) ?? [:])\n\(worker.log)")
        }
        #expect(!worker.log.contains("computed before the tail reached"), "\(worker.log)")
    }

    /// A worker without `--live` touches no live key; jobs go on beside a live publisher.
    @Test func withoutLiveNothingIsPublishedAndJobsGoOnWithIt() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let plain = try h.startWorker("plain")
        defer { plain.signal(SIGKILL) }
        let id = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(id, "completed"), "\(plain.log)")
        #expect(try h.redis.command(["EXISTS", RedisKeys.live, RedisKeys.liveMeta, RedisKeys.liveLeader]).int == 0)
        let live = try h.startWorker("publisher", Self.liveArguments())
        defer { live.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(10)) { Self.meta(h) != nil }, "\(live.log)")
        let ids = try (0..<10).map { _ in try h.submit() }
        for id in ids { #expect(h.waitFor(id, "completed"), "\(h.status(id) ?? [:])") }
        // SIGTERM gives the lease back at once.
        live.signal(SIGTERM)
        #expect(live.waitForExit(timeout: .seconds(15)) == 0)
        #expect(try h.redis.command(["EXISTS", RedisKeys.liveLeader]).int == 0)
    }
}
