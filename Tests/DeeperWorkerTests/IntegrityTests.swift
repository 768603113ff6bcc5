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

/// Issue #9: never a wrong number, never a job lost or completed twice. Each test plays one
/// fault against real redis-servers and real `deeper` processes, started and signalled by pid.
@Suite(.serialized) struct IntegrityTests {
    /// 2025-03-12T14:00:00Z, a Wednesday session.
    static let base: Int64 = 1_741_788_000_000

    /// `count` eligible prints of `symbol`, one a minute from `base` + `offset` minutes.
    static func prints(_ symbol: String, count: Int, offset: Int = 0) -> [[String]] {
        (0..<count).map { i in
            [
                "XADD", RedisKeys.prints, "*", "sym", symbol, "t", String(base + Int64(offset + i) * 60_000), "p",
                "25.0\(i % 10)", "s", "100", "v", "NSDQ",
            ]
        }
    }

    /// Runs a one-symbol job with as_of `last`; returns the symbol's tick count (nil: no numbers).
    static func ticks(_ h: WorkerHarness, _ symbol: String, _ worker: DeeperProcess) throws -> Int? {
        let id = try h.submit(symbols: [symbol])
        guard h.waitFor(id, "completed") else {
            throw SupportError("job \(id) did not complete: \(h.status(id) ?? [:])\n\(worker.log)")
        }
        let data = try #require(try h.result(id)["data"] as? [String: Any])
        return (data[symbol] as? [String: Any])?["tick_count"] as? Int
    }

    // MARK: - 1. Far-future prints

    /// A print stamped in 2255 (any XADD, read at start or while tailing) is skipped with a
    /// reason, and a print of another symbol stamped now evicts nothing of last year's symbol.
    @Test func aFarFuturePrintOnTheStreamChangesNoOtherSymbol() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(
            Self.prints("OFN", count: 26)
                + [["XADD", RedisKeys.prints, "*", "sym", "ZZZ", "t", "9000000000000", "p", "25", "s", "100"]])
        let worker = try h.startWorker("clock")
        defer { worker.signal(SIGKILL) }
        #expect(try Self.ticks(h, "OFN", worker) == 26)
        #expect(worker.log.contains("ahead of"), "\(worker.log)")

        // While tailing: another far-future print, and one of another symbol stamped now.
        let now = WallClock.now() / Nanos.perMillisecond
        _ = try h.redis.pipeline([
            ["XADD", RedisKeys.prints, "*", "sym", "ZZZ", "t", "9000000000001", "p", "25", "s", "100"],
            ["XADD", RedisKeys.prints, "*", "sym", "NOW", "t", String(now), "p", "25", "s", "100"],
        ])
        #expect(try Self.ticks(h, "OFN", worker) == 26)
        #expect(try Self.ticks(h, "NOW", worker) == 1)
        #expect((try Self.ticks(h, "ZZZ", worker) ?? 0) == 0)
    }

    /// `deeper replay` refuses a print stamped far ahead of the clock, naming its line.
    @Test func replayRefusesFarFuturePrintsWithTheirLine() throws {
        let h = try WorkerHarness()
        var csv = "symbol,time,price,size,venue\n"
        for i in 0..<3 { csv += "OFN,\(Self.base + Int64(i) * 60_000),25.01,100,NSDQ\n" }
        csv += "ZZZ,9000000000000,25.01,100,NSDQ\n"
        let path = try temporaryFile("future.csv", csv)
        let r = try DeeperProcess.run(["replay", path] + h.portArguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("future.csv:5: column time: more than 300 s ahead of the clock"), "\(r.stderr)")
        #expect(try h.redis.command(["XLEN", RedisKeys.prints]).int == 3)
        #expect(try h.redis.command(["SISMEMBER", RedisKeys.symbols, "ZZZ"]).int == 0)
        // The tolerance is a knob.
        let loose = try DeeperProcess.run(["replay", path, "--max-future", "1e10"] + h.portArguments)
        #expect(loose.status == 0, "\(loose.stderr)")
        #expect(try h.redis.command(["XLEN", RedisKeys.prints]).int == 7)
    }

    // MARK: - 2. Redis loses its data

    @Test func flushAllAndReFeedRebuildsTheHistory() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let worker = try h.startWorker("amnesia")
        defer { worker.signal(SIGKILL) }
        #expect(try Self.ticks(h, "OFN", worker) == 26)
        _ = try h.redis.command(["FLUSHALL"])
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        #expect(try Self.ticks(h, "OFN", worker) == 26)
        #expect(worker.log.contains("rebuilding its history"), "\(worker.log)")
    }

    @Test func redisRestartWithoutPersistenceRebuildsTheHistory() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let worker = try h.startWorker("restart")
        defer { worker.signal(SIGKILL) }
        #expect(try Self.ticks(h, "OFN", worker) == 26)
        h.server.stop()
        try h.server.start()
        let redis = try RedisConnection(RedisConfiguration(port: h.server.port))
        _ = try redis.pipeline(Self.prints("OFN", count: 20))
        let again = WorkerHarness(server: h.server, redis: redis)
        #expect(try Self.ticks(again, "OFN", worker) == 20)
        #expect(worker.log.contains("rebuilding its history"), "\(worker.log)")
    }

    /// New entries arrive and the stream is trimmed past the worker's read position before it
    /// reads them: what remains in Redis is the history, not the old prints plus the new.
    @Test func aTrimPastTheReadPositionRebuildsTheHistory() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let worker = try h.startWorker("trimmed")
        defer { worker.signal(SIGKILL) }
        #expect(try Self.ticks(h, "OFN", worker) == 26)
        let first = WallClock.now() / Nanos.perMillisecond + 1_000
        var atomically: [[String]] = [["MULTI"]]
        for (k, p) in Self.prints("OFN", count: 5, offset: 100).enumerated() {
            var command = p
            command[2] = "\(first + Int64(k))-0"
            atomically.append(command)
        }
        atomically += [["XTRIM", RedisKeys.prints, "MINID", "\(first)-0"], ["EXEC"]]
        _ = try h.redis.pipeline(atomically)
        #expect(try h.redis.command(["XLEN", RedisKeys.prints]).int == 5)
        #expect(try Self.ticks(h, "OFN", worker) == 5)
        #expect(worker.log.contains("rebuilding its history"), "\(worker.log)")
    }

    // MARK: - 3. Stray spaces

    @Test func symbolsWithStraySpacesAreTrimmedOnEveryPath() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(
            Self.prints("OFN", count: 3)
                + [["XADD", RedisKeys.prints, "*", "sym", " OFN ", "t", String(Self.base + 3_600_000), "p", "25.5", "s", "100"]])
        let worker = try h.startWorker("tidy")
        defer { worker.signal(SIGKILL) }
        let id = try h.submit(symbols: ["OFN "])
        #expect(h.waitFor(id, "completed"), "\(worker.log)")
        let data = try #require(try h.result(id)["data"] as? [String: Any])
        #expect(Array(data.keys) == ["OFN"])
        let ofn = try #require(data["OFN"] as? [String: Any])
        #expect(ofn["tick_count"] as? Int == 4)
        #expect((ofn["last_price"] as? NSNumber)?.doubleValue == 25.5)
    }

    // MARK: - 4. Transient error replies

    /// While a script keeps Redis busy, every command answers BUSY: the worker retries and
    /// finishes the job in hand instead of abandoning it in its processing list.
    @Test func busyRepliesAreRetriedAndTheJobCompletes() throws {
        let server = try RedisTestServer(extraArguments: ["--busy-reply-threshold", "100"])
        let h = WorkerHarness(server: server, redis: try RedisConnection(RedisConfiguration(port: server.port)))
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let worker = try h.startWorker("patient", ["--test-job-delay-ms", "1000"])
        defer { worker.signal(SIGKILL) }
        let id = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(id, "processing"))
        // A script that spins for 3 s: other clients get BUSY after 100 ms.
        let busy = Thread {
            let c = try? RedisConnection(RedisConfiguration(port: server.port))
            _ = try? c?.command([
                "EVAL",
                """
                local t = redis.call('TIME')
                local start = tonumber(t[1]) + tonumber(t[2]) / 1e6
                while true do
                  t = redis.call('TIME')
                  if tonumber(t[1]) + tonumber(t[2]) / 1e6 - start > 3 then break end
                end
                return 1
                """, "0",
            ])
        }
        busy.start()
        #expect(h.waitFor(id, "completed", timeout: .seconds(30)), "\(h.status(id) ?? [:])\n\(worker.log)")
        #expect(try h.listLength(RedisKeys.processing("patient")) == 0)
        #expect(worker.log.contains("BUSY"), "\(worker.log)")
    }

    // MARK: - 5. Hand-back never moves a status backwards

    /// A dead worker's list still holds a job another worker already completed: the hand-back
    /// drops it instead of queuing it again (which would complete it twice).
    @Test func handBackLeavesACompletedJobCompleted() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(Self.prints("OFN", count: 3))
        let raw = JobRequest(jobID: "done-already", symbols: ["OFN"], asOf: .last).queuedJSON()
        let completed = JobMessages.status(.completed, message: "Completed in 0.010 s by ghost", worker: "ghost", at: WallClock.now())
        _ = try h.redis.pipeline([
            ["LPUSH", RedisKeys.processing("ghost"), raw],
            ["SET", RedisKeys.status("done-already"), completed, "EX", "3600"],
        ])
        let events = EventRecorder(port: h.server.port)
        defer { events.stop() }
        let worker = try h.startWorker("reaper")
        defer { worker.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(15)) { (try? h.listLength(RedisKeys.processing("ghost"))) == 0 })
        // A job queued after the hand-back runs after anything it queued (FIFO).
        let sentinel = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(sentinel, "completed"), "\(worker.log)")
        #expect((h.status("done-already")?["message"] as? String)?.contains("by ghost") == true, "\(h.status("done-already") ?? [:])")
        #expect(events.count(job: "done-already", status: "completed") == 0)
        #expect(try h.listLength(RedisKeys.jobs) == 0)
    }

    // MARK: - 6. Fenced completion

    /// A worker stopped (SIGSTOP) with a job in hand loses it to another worker when its
    /// heartbeat expires; woken (SIGCONT), it must not complete it a second time.
    @Test func aPausedWorkerDoesNotCompleteAHandedBackJobTwice() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let events = EventRecorder(port: h.server.port)
        defer { events.stop() }
        let sleepy = try h.startWorker("sleepy", ["--test-job-delay-ms", "2000"])
        defer { sleepy.signal(SIGKILL) }
        let id = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(id, "processing"))
        sleepy.signal(SIGSTOP)
        let awake = try h.startWorker("awake")
        defer { awake.signal(SIGKILL) }
        #expect(h.waitFor(id, "completed", timeout: .seconds(40)), "\(h.status(id) ?? [:])\n\(awake.log)")
        sleepy.signal(SIGCONT)
        // Woken, it either drops its copy (and says so) or completes it again.
        _ = waitUntil(timeout: .seconds(15)) {
            sleepy.log.contains("dropped its copy") || events.count(job: id, status: "completed") > 1
        }
        #expect(events.count(job: id, status: "completed") == 1, "\(sleepy.log)")
        #expect((h.status(id)?["message"] as? String)?.contains("by awake") == true)
        #expect(sleepy.log.contains("dropped its copy"), "\(sleepy.log)")
        sleepy.signal(SIGTERM)
        #expect(sleepy.waitForExit(timeout: .seconds(15)) == 0)
        #expect(sleepy.log.contains("Worker sleepy stopped after 0 job(s)"), "\(sleepy.log)")
    }

    // MARK: - 7. SIGTERM during an outage

    /// SIGTERM while Redis is away with a job in hand: the worker says the job is not written
    /// yet, and once Redis is back (with its data: AOF) it finishes the job and exits 0.
    @Test func sigtermDuringAnOutageFinishesTheJobWhenRedisReturns() throws {
        let server = try RedisTestServer(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"])
        let h = WorkerHarness(server: server, redis: try RedisConnection(RedisConfiguration(port: server.port)))
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let worker = try h.startWorker("honest", ["--test-job-delay-ms", "1500"])
        defer { worker.signal(SIGKILL) }
        let id = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(id, "processing"))
        server.stop()
        worker.signal(SIGTERM)
        #expect(worker.waitForLog("not written yet"), "\(worker.log)")
        #expect(worker.isRunning)
        try server.start()
        #expect(worker.waitForExit(timeout: .seconds(30)) == 0, "\(worker.log)")
        let redis = try RedisConnection(RedisConfiguration(port: server.port))
        let after = WorkerHarness(server: server, redis: redis)
        #expect(after.state(id) == "completed", "\(after.status(id) ?? [:])\n\(worker.log)")
        #expect(try after.listLength(RedisKeys.processing("honest")) == 0)
        #expect(worker.log.contains("Worker honest stopped after 1 job(s)"), "\(worker.log)")
    }

    /// Killed while still waiting for Redis, the worker never claimed the job was done.
    @Test func sigtermDuringAnOutageNeverClaimsAnUnwrittenJob() throws {
        let h = try WorkerHarness()
        _ = try h.redis.pipeline(Self.prints("OFN", count: 26))
        let worker = try h.startWorker("truthful", ["--test-job-delay-ms", "1500"])
        defer { worker.signal(SIGKILL) }
        let id = try h.submit(symbols: ["OFN"])
        #expect(h.waitFor(id, "processing"))
        h.server.stop()
        worker.signal(SIGTERM)
        #expect(worker.waitForLog("not written yet"), "\(worker.log)")
        usleep(2_000_000)
        #expect(worker.isRunning, "\(worker.log)")
        #expect(!worker.log.contains("stopped after 1 job(s)"), "\(worker.log)")
        #expect(worker.log.contains("deeper_analysis:processing:truthful"), "\(worker.log)")
    }

    /// SIGTERM as soon as the process can take a signal at all (its first handler shows in
    /// /proc: before that the program has not started), and at instants of its start-up after.
    @Test(arguments: [0, 1, 5, 20, 60, 150])
    func sigtermDuringStartUpExitsZero(delayMilliseconds: Int) throws {
        let h = try WorkerHarness()
        let worker = try DeeperProcess(["worker", "--name", "early", "--threads", "1"] + h.portArguments)
        defer { worker.signal(SIGKILL) }
        #expect(waitUntil(timeout: .seconds(20)) { Self.catchesSIGTERM(worker.child.pid) })
        if delayMilliseconds > 0 { usleep(UInt32(delayMilliseconds) * 1000) }
        worker.signal(SIGTERM)
        #expect(worker.waitForExit(timeout: .seconds(20)) == 0, "\(worker.log)")
    }

    /// Whether process `pid` has a handler for SIGTERM (`SigCgt` in /proc/PID/status).
    static func catchesSIGTERM(_ pid: pid_t) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
    }

    // MARK: - 8. Bad input that multiplies

    @Test func oversizedJobsAndHugeValuesStayShortInEveryCopy() throws {
        let h = try WorkerHarness()
        let worker = try h.startWorker("bounded")
        defer { worker.signal(SIGKILL) }
        let huge = String(repeating: "A", count: 5 << 20)
        let wide = String(repeating: "B", count: 900 << 10)
        _ = try h.redis.pipeline([
            ["LPUSH", RedisKeys.jobs, #"{"job_id":"huge","symbols":[""# + huge + #""]}"#],
            ["LPUSH", RedisKeys.jobs, #"{"job_id":"wide","symbols":[""# + wide + #""]}"#],
        ])
        #expect(waitUntil(timeout: .seconds(20)) { (try? h.listLength(RedisKeys.dead)) == 2 }, "\(worker.log)")
        let entries = try #require(try h.redis.command(["LRANGE", RedisKeys.dead, "0", "-1"]).array)
        for entry in entries { #expect((entry.bytes?.count ?? 0) < 4096) }
        let reasons = entries.compactMap { $0.string.flatMap { try? parseJSON($0) as? [String: Any] }?["reason"] as? String }
        #expect(reasons.contains { $0.contains("over the 1 MiB limit") }, "\(reasons)")
        #expect(try h.redis.command(["EXISTS", RedisKeys.status("huge")]).int == 0)
        #expect(h.state("wide") == "failed")
        #expect(try h.redis.command(["STRLEN", RedisKeys.status("wide")]).int ?? .max < 1024)
        #expect(worker.log.utf8.count < 16_384)
        #expect(try h.listLength(RedisKeys.processing("bounded")) == 0)
    }

    // MARK: - 9. Writers check every reply

    @Test(arguments: [nil, "wrong"] as [String?])
    func commandsThatWriteFailOnARefusedPassword(password: String?) throws {
        let server = try RedisTestServer(password: "secret")
        let auth = password.map { ["--redis-password", $0] } ?? []
        let port = ["--redis-port", String(server.port)]
        let expected = password == nil ? "NOAUTH" : "WRONGPASS"
        let universe = try DeeperProcess.run(["load-universe", DeeperProcess.path("fixtures/sample-universe.csv")] + port + auth)
        #expect(universe.status == 78, "\(universe.stderr)")
        #expect(universe.stderr.contains(expected), "\(universe.stderr)")
        #expect(!universe.stderr.contains("loaded avg_adv"))
        let replay = try DeeperProcess.run(["replay", DeeperProcess.path("fixtures/sample-prints.csv")] + port + auth)
        #expect(replay.status == 78, "\(replay.stderr)")
        #expect(replay.stderr.contains(expected), "\(replay.stderr)")
        let submit = try DeeperProcess.run(["submit", "--symbols", "OFN"] + port + auth)
        #expect(submit.status == 78, "\(submit.stderr)")
        #expect(submit.stderr.contains(expected), "\(submit.stderr)")
        #expect(submit.stdout.isEmpty)
        let admin = try RedisConnection(RedisConfiguration(port: server.port, password: "secret"))
        #expect(try admin.command(["DBSIZE"]).int == 0)
    }
}

// MARK: - Helpers

/// Every event published on `deeper_analysis:events` while it runs, from its own connection
/// and thread.
final class EventRecorder: Sendable {
    private let events = Mutex<[(job: String, status: String)]>([])
    private let stopping = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)
    private let subscribed = Atomic<Bool>(false)

    init(port: Int) {
        let thread = Thread { [self] in
            defer { self.done.store(true, ordering: .releasing) }
            guard let c = try? RedisConnection(RedisConfiguration(port: port)) else { return }
            try? c.subscribe([RedisKeys.events], pollInterval: .milliseconds(50), until: { self.stopping.load(ordering: .acquiring) }) { m in
                if m.kind == .subscribed { self.subscribed.store(true, ordering: .releasing) }
                guard m.kind == .message,
                    let object = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any],
                    let job = object["job_id"] as? String, let status = object["status"] as? String
                else { return }
                self.events.withLock { $0.append((job, status)) }
            }
        }
        thread.start()
        _ = waitUntil(timeout: .seconds(5)) { self.subscribed.load(ordering: .acquiring) }
    }

    func count(job: String, status: String) -> Int {
        events.withLock { $0.filter { $0.job == job && $0.status == status }.count }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        _ = waitUntil(timeout: .seconds(5)) { self.done.load(ordering: .acquiring) }
    }
}

/// Writes `text` to a fresh temporary file named `name`; returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-integrity-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}
