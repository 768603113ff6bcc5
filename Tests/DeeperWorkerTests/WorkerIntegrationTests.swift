import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import DeeperWorker
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The worker against a real redis-server the tests start on a free loopback port, and real
/// `deeper` processes (replay, load-universe, worker) the tests start and signal by pid.
@Suite(.serialized) struct WorkerIntegrationTests {
    /// The stored result equals `deeper analyze`'s computation on the same file and as_of.
    @Test func replayedSampleMatchesOfflineAnalysis() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("match")
        defer { worker.signal(SIGKILL) }
        let asOf = try #require(TimeText.parseInstant("2025-11-20T19:00:00Z"))
        let id = try h.submit(asOf: .instant(asOf))
        #expect(h.waitFor(id, "completed"), "\(h.status(id) ?? [:])\n\(worker.log)")
        let stored = try h.result(id)

        let input = try OfflineInput.load(
            printsPath: DeeperProcess.repository.appendingPathComponent("fixtures/sample-prints.csv").path,
            universePath: DeeperProcess.repository.appendingPathComponent("fixtures/sample-universe.csv").path,
            rules: .default, skipInvalid: false)
        let (symbols, requests) = input.requests(for: input.symbols.sorted())
        let metrics = BatchEngine(threads: 1).run(
            store: input.store, requests: requests, asOf: .instant(asOf), parameters: AnalysisParameters())
        let offline = try parseJSON(
            ResultJSON.jobResult(jobID: id, symbols: symbols, metrics: metrics, processedCount: symbols.count, finishedAt: 0))
        let mismatches = jsonMismatches(offline, stored, ignoring: ["timestamp"])
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        #expect(stored["processed_count"] as? Int == 36)
        #expect((h.status(id)?["message"] as? String)?.contains("by match") == true)
        #expect(try h.listLength(RedisKeys.processing("match")) == 0)
    }

    /// `deeper submit --wait` prints the job id, then the summary of the stored result.
    @Test func submitWaitReportsTheStoredResult() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("submitter")
        defer { worker.signal(SIGKILL) }
        let run = try DeeperProcess.run(["submit", "--as-of", "last", "--wait", "--top", "3"] + h.portArguments)
        #expect(run.status == 0, "\(run.stderr)\n\(worker.log)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let id = try #require(lines.first)
        #expect(h.state(id) == "completed")
        var stored = try #require(try h.redis.command(["GET", RedisKeys.result(id)]).string)
        let summary = try #require(stored.withUTF8 { JobResultSummary(json: UnsafeRawBufferPointer($0), top: 3) })
        #expect(Array(lines.dropFirst()) == summary.render().split(separator: "\n").map(String.init))
        #expect(lines.count == 6 && lines[1] == "processed 36 of 36 symbols")
        #expect(run.stderr.contains("completed: Completed in"), "\(run.stderr)")
    }

    @Test func twoWorkersCompleteFiftyJobsExactlyOnce() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let a = try h.startWorker("a")
        let b = try h.startWorker("b")
        let ids = try (0..<50).map { i in try h.submit(symbols: i % 2 == 0 ? nil : ["OFN", "NOPE"]) }
        for id in ids { #expect(h.waitFor(id, "completed"), "job \(id): \(h.status(id) ?? [:])") }
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(a.waitForExit(timeout: .seconds(15)) == 0)
        #expect(b.waitForExit(timeout: .seconds(15)) == 0)
        // Each worker logs how many jobs it completed; together exactly 50.
        func completed(_ p: DeeperProcess, _ name: String) -> Int {
            guard let line = p.log.split(separator: "\n").first(where: { $0.contains("Worker \(name) stopped after") }),
                let n = line.split(separator: " ").reversed().dropFirst().first.flatMap({ Int($0) })
            else { return -1 }
            return n
        }
        #expect(completed(a, "a") + completed(b, "b") == 50, "\(a.log)\n\(b.log)")
        #expect(try h.listLength(RedisKeys.jobs) == 0)
        #expect(try h.listLength(RedisKeys.processing("a")) == 0)
        #expect(try h.listLength(RedisKeys.processing("b")) == 0)
        let named = try h.result(ids[1])
        #expect(named["total_symbols"] as? Int == 2)
        let data = try #require(named["data"] as? [String: Any])
        #expect((data["NOPE"] as? [String: Any])?["timestamp"] is NSNull)
    }

    @Test func jobOfAKilledWorkerIsCompletedByAnother() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let doomed = try h.startWorker("doomed", ["--test-job-delay-ms", "60000"])
        let id = try h.submit()
        #expect(h.waitFor(id, "processing"))
        doomed.signal(SIGKILL)
        #expect(doomed.waitForExit(timeout: .seconds(5)) != nil)
        #expect(try h.listLength(RedisKeys.processing("doomed")) == 1)
        let rescuer = try h.startWorker("rescuer")
        defer { rescuer.signal(SIGKILL) }
        // The doomed worker's heartbeat lives 6 s; the rescuer checks every 2 s.
        #expect(h.waitFor(id, "completed", timeout: .seconds(40)), "\(h.status(id) ?? [:])\n\(rescuer.log)")
        #expect((h.status(id)?["message"] as? String)?.contains("by rescuer") == true)
        #expect(rescuer.log.contains("back to the queue"))
        #expect(try h.listLength(RedisKeys.processing("doomed")) == 0)
    }

    @Test func malformedJobsGoToTheDeadListAndTheWorkerGoesOn() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("sturdy")
        defer { worker.signal(SIGKILL) }
        let bad = [
            "not json at all",
            #"{"status":"queued","symbols":null}"#,
            #"{"job_id":"bad-symbol","symbols":["lower case"]}"#,
            #"{"job_id":"bad-as-of","symbols":null,"as_of":"yesterday"}"#,
            #"[1,2,3]"#,
        ]
        for raw in bad { _ = try h.redis.command(["LPUSH", RedisKeys.jobs, raw]) }
        let good = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(good, "completed"), "\(worker.log)")
        #expect(try h.listLength(RedisKeys.dead) == 5)
        let entries = try #require(try h.redis.command(["LRANGE", RedisKeys.dead, "0", "-1"]).array)
        let reasons = entries.compactMap { $0.string.flatMap { try? parseJSON($0) as? [String: Any] }?["reason"] as? String }
        #expect(reasons.contains("not JSON"))
        #expect(reasons.contains("no job_id"))
        #expect(reasons.contains { $0.contains("symbols") })
        #expect(reasons.contains { $0.contains("as_of") })
        #expect(h.state("bad-symbol") == "failed")
        #expect((h.status("bad-as-of")?["error"] as? String)?.contains("as_of") == true)
        #expect(try h.listLength(RedisKeys.processing("sturdy")) == 0)
    }

    /// Bad stream entries are skipped and logged; the good ones around them all arrive.
    @Test func malformedStreamEntriesAreSkipped() throws {
        let h = try WorkerHarness()
        let t = "1741791540000"  // 2025-03-12T14:59:00Z
        _ = try h.redis.pipeline([
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "p", "25.01", "s", "100", "v", "NSDQ"],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "p", "25.015001", "s", "100", "v", ""],
            ["XADD", RedisKeys.prints, "*", "sym", "bad sym", "t", t, "p", "25.00", "s", "100"],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", "yesterday", "p", "25.00", "s", "100"],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "p", "25.00", "s", "0"],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "s", "100"],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "p", "25.00", "s", "100", "v", String(repeating: "V", count: 33)],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "p", "25.00", "s", "100", "v", "NY\u{7}SE"],
            ["XADD", RedisKeys.prints, "*", "sym", "GOOD", "t", t, "p", "25.03", "s", "200", "extra", "ignored"],
        ])
        let worker = try h.startWorker("picky")
        defer { worker.signal(SIGKILL) }
        let id = try h.submit(symbols: ["GOOD"])
        #expect(h.waitFor(id, "completed"), "\(worker.log)")
        let data = try #require(try h.result(id)["data"] as? [String: Any])
        let good = try #require(data["GOOD"] as? [String: Any])
        #expect(good["tick_count"] as? Int == 2)
        #expect((good["last_price"] as? NSNumber)?.doubleValue == 25.03)
        #expect(worker.log.contains("Skipped malformed stream entries"))
        #expect(worker.log.contains("count=7"), "\(worker.log)")
    }

    @Test func workerReconnectsAfterRedisRestarts() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("phoenix")
        defer { worker.signal(SIGKILL) }
        let first = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(first, "completed"))
        h.server.stop()
        usleep(1_500_000)
        try h.server.start()
        let redis = try RedisConnection(RedisConfiguration(port: h.server.port))
        let second = JobQueue.newJobID()
        try JobQueue.enqueue(redis, JobRequest(jobID: second, symbols: ["OFN"], asOf: .last), at: WallClock.now())
        #expect(
            waitUntil(timeout: .seconds(30)) {
                (try? redis.command(["GET", RedisKeys.status(second)]).string)?.contains("completed") == true
            }, "\(worker.log)")
        #expect(worker.log.contains("unavailable"))
        #expect(worker.log.contains("reachable again"))
        #expect(worker.isRunning)
    }

    /// The kernels and the job loop yield to the rest of the host; the tail and the heartbeat
    /// keep the process's priority. Read from the running worker's threads in /proc.
    @Test(arguments: [
        (nil, 5, 0),  // the default, idle: SCHED_IDLE
        ("low", 3, 19),  // SCHED_BATCH at nice 19
        ("normal", 0, 0),
    ] as [(String?, Int, Int)])
    func computeThreadsTakeTheComputePriority(flag: String?, policy: Int, nice: Int) throws {
        #if os(Linux)
        let h = try WorkerHarness()
        let name = "prio-\(flag ?? "default")"
        let worker = try h.startWorker(name, computePriority: flag)
        defer { worker.signal(SIGKILL) }
        func threads(_ prefix: String) -> [ThreadScheduling] {
            ThreadScheduling.threads(of: worker.child.pid).filter { $0.name.hasPrefix(prefix) }
        }
        let compute = { threads("deeper-lane-") + threads("deeper-jobs") }
        // The job loop sets its own priority as it starts, just after the start-up line.
        let settled = waitUntil(timeout: .seconds(10)) {
            let c = compute()
            return c.count == 3 && c.allSatisfy { $0.policy == policy && $0.nice == nice }
        }
        #expect(settled, "\(compute())")
        let controlThreads = { threads("deeper-tail") + threads("deeper-heart") }  // names stop at 15 bytes
        // The tail and the heartbeat start beside the job loop, not before it: wait for them too.
        #expect(
            waitUntil(timeout: .seconds(10)) { controlThreads().count == 2 },
            "\(ThreadScheduling.threads(of: worker.child.pid))")
        let control = controlThreads()
        #expect(control.allSatisfy { $0.policy == 0 && $0.nice == 0 }, "\(control)")
        // A job still completes at that priority.
        try h.loadSample()
        let id = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(id, "completed"), "\(h.status(id) ?? [:])\n\(worker.log)")
        #endif
    }

    @Test func sigtermFinishesTheJobInHandAndExitsZero() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let worker = try h.startWorker("polite", ["--test-job-delay-ms", "1500"])
        let id = try h.submit()
        #expect(h.waitFor(id, "processing"))
        worker.signal(SIGTERM)
        #expect(worker.waitForExit(timeout: .seconds(20)) == 0, "\(worker.log)")
        #expect(h.state(id) == "completed")
        #expect(try h.listLength(RedisKeys.processing("polite")) == 0)
        #expect(try h.redis.command(["EXISTS", RedisKeys.heartbeat("polite")]).int == 0)
    }

    @Test func jobsOverMaxJobTimeFail() throws {
        let h = try WorkerHarness()
        let worker = try h.startWorker("hasty", ["--max-job-time", "0.3", "--test-job-delay-ms", "600"])
        defer { worker.signal(SIGKILL) }
        let id = try h.submit()
        #expect(h.waitFor(id, "failed"))
        #expect((h.status(id)?["error"] as? String)?.contains("MAX_JOB_TIME") == true)
        #expect(try h.redis.command(["EXISTS", RedisKeys.result(id)]).int == 0)
    }

    /// A job already handed back 3 times is not handed back a 4th: dead list, status failed.
    @Test func jobHandedBackTooOftenGoesToTheDeadList() throws {
        let h = try WorkerHarness()
        let raw = JobRequest(jobID: "cursed", symbols: nil, asOf: .last).queuedJSON()
        _ = try h.redis.pipeline([
            ["LPUSH", RedisKeys.processing("ghost"), raw],
            ["HSET", RedisKeys.handbacks, raw, "3"],
        ])
        let worker = try h.startWorker("reaper")
        defer { worker.signal(SIGKILL) }
        #expect(h.waitFor("cursed", "failed", timeout: .seconds(15)), "\(worker.log)")
        #expect(try h.listLength(RedisKeys.dead) == 1)
        #expect(try h.listLength(RedisKeys.processing("ghost")) == 0)
        #expect(try h.listLength(RedisKeys.jobs) == 0)
    }
}
