import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The whole system as people run it: a redis-server, `deeper worker` and `deeper serve`
/// processes the tests start (and signal by their own pids), HTTP over loopback, a Python script
/// with redis-py, and Chromium loading the page.
@Suite(.serialized) struct EndToEndTests {
    /// The as_of of every job here: inside the sample's last days, so results are fixed.
    static let asOf = "2025-11-20T19:00:00Z"

    @Test func computeStatusResultMatchesTheOfflineAnalysisAndAPythonScriptReadsIt() async throws {
        let h = try APIHarness()
        try h.loadSample()
        let worker = try h.startWorker("e2e")
        defer { worker.signal(SIGKILL) }
        let serve = try ServeProcess(h)
        defer { serve.process.signal(SIGKILL) }

        try await TestClient.withClient(host: "127.0.0.1", port: serve.port) { client in
            let id = try await Self.runJob(client, body: #"{"as_of": "\#(Self.asOf)"}"#)
            let result = try await client.get("/api/deeper-analysis/result/\(id)")
            #expect(result.status == .ok)
            let stored = try #require(try parseJSON(String(buffer: result.body ?? ByteBuffer())) as? [String: Any])
            #expect(stored["success"] as? Bool == true)
            #expect(stored["job_id"] as? String == id)
            #expect(stored["processed_count"] as? Int == 36)
            let mismatches = jsonMismatches(try Self.offlineResult(jobID: id), stored, ignoring: ["timestamp"])
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")

            // What existing user scripts do: redis-py, GET the key, read processed_count and god.
            let symbol = "OFN"
            let script = try Self.runPython(
                [DeeperProcess.path("examples/read_result.py"), id, symbol], redisPort: h.redisServer.port)
            #expect(script.status == 0, "\(script.stderr)")
            let read = try #require(try parseJSON(script.stdout) as? [String: Any], "\(script.stdout)")
            #expect(read["processed_count"] as? Int == 36)
            let data = try #require(stored["data"] as? [String: [String: Any]])
            let god = try #require(data[symbol]?["god"] as? Double)
            #expect(read["god"] as? Double == god)
        }
        serve.process.signal(SIGTERM)
        #expect(serve.process.waitForExit(timeout: .seconds(15)) == 0, "\(serve.process.log)")
    }

    @Test func printsIngestedThroughTheAPIGiveTheSameResultAsTheFile() async throws {
        let h = try APIHarness()
        try h.loadUniverse()
        let worker = try h.startWorker("ingest")
        defer { worker.signal(SIGKILL) }
        let serve = try ServeProcess(h)
        defer { serve.process.signal(SIGKILL) }

        let csv = try Data(contentsOf: DeeperProcess.repository.appendingPathComponent("fixtures/sample-prints.csv"))
        try await TestClient.withClient(host: "127.0.0.1", port: serve.port) { client in
            var headers = HTTPFields()
            headers[.contentType] = "text/csv"
            let ingest = try await client.post("/api/prints", headers: headers, body: ByteBuffer(bytes: csv))
            #expect(ingest.status == .ok)
            let reply = try #require(try parseJSON(String(buffer: ingest.body ?? ByteBuffer())) as? [String: Any])
            #expect(reply["accepted"] as? Int == 16_563)
            #expect(reply["rejected_count"] as? Int == 0)
            #expect(try h.redis.command(["XLEN", RedisKeys.prints]).int == 16_563)

            let id = try await Self.runJob(client, body: #"{"as_of": "\#(Self.asOf)"}"#)
            let result = try await client.get("/api/deeper-analysis/result/\(id)")
            let stored = try #require(try parseJSON(String(buffer: result.body ?? ByteBuffer())) as? [String: Any])
            let mismatches = jsonMismatches(try Self.offlineResult(jobID: id), stored, ignoring: ["timestamp"])
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        }
    }

    @Test func thePageRefreshesAndFillsTheTableInChromium() async throws {
        let chromium = try #require(
            findExecutable(["chromium", "chromium-browser"]),
            "Chromium not found: apt-get install chromium (scripts/setup installs it)")
        let h = try APIHarness()
        try h.loadSample()
        let worker = try h.startWorker("page")
        defer { worker.signal(SIGKILL) }
        let serve = try ServeProcess(h)
        defer { serve.process.signal(SIGKILL) }

        let output = DeeperProcess.repository.appendingPathComponent(".build/test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let url = "http://127.0.0.1:\(serve.port)/?autorefresh=1"

        // The page queues a job (the autorefresh parameter clicks Refresh), follows it and fills
        // the table; virtual time lets Chromium wait for that before it dumps the DOM.
        let dom = try runChromium(chromium, ["--virtual-time-budget=30000", "--dump-dom", url])
        #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
        let rows = dom.stdout.components(separatedBy: "<tr data-symbol=").count - 1
        #expect(rows == 36, "rows: \(rows)\n\(dom.stdout.suffix(3000))")
        #expect(dom.stdout.contains("Processed 36 of 36 symbols"))
        #expect(dom.stdout.contains(#"<div id="error" role="alert" style="display: none;">"#))
        #expect(dom.stdout.contains(#"<tr data-symbol="OFN"><td>OFN</td>"#))

        let screenshot = output.appendingPathComponent("page.png")
        try? FileManager.default.removeItem(at: screenshot)
        let shot = try runChromium(
            chromium,
            ["--virtual-time-budget=30000", "--window-size=1400,900", "--screenshot=\(screenshot.path)", url])
        #expect(shot.status == 0, "\(shot.stderr.suffix(2000))")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG")
        #expect(png.count > 20_000, "screenshot of \(png.count) bytes at \(screenshot.path)")
        print("Screenshot of the page: \(screenshot.path)")
        #expect(serve.process.log.contains("POST /api/deeper-analysis/compute 200"))
    }

    @Test func thePageShowsWhyARefreshFailed() async throws {
        let chromium = try #require(
            findExecutable(["chromium", "chromium-browser"]),
            "Chromium not found: apt-get install chromium (scripts/setup installs it)")
        let h = try APIHarness()
        let serve = try ServeProcess(h)
        defer { serve.process.signal(SIGKILL) }
        h.redisServer.stop()

        let dom = try runChromium(
            chromium, ["--virtual-time-budget=10000", "--dump-dom", "http://127.0.0.1:\(serve.port)/?autorefresh=1"])
        #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
        #expect(
            dom.stdout.contains(
                #"<div id="error" role="alert" style="display: block;">Could not queue the analysis: Redis unavailable: "#),
            "\(dom.stdout.prefix(4000))")
        #expect(dom.stdout.contains(#"<span id="status" class="">Failed</span>"#))
    }

    // MARK: - Helpers

    /// Queues a job through the API and polls its status until it completed; returns its id.
    static func runJob(_ client: TestClient, body: String) async throws -> String {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let queued = try await client.post("/api/deeper-analysis/compute", headers: headers, body: ByteBuffer(string: body))
        #expect(queued.status == .ok)
        let reply = try #require(try parseJSON(String(buffer: queued.body ?? ByteBuffer())) as? [String: Any])
        let id = try #require(reply["job_id"] as? String)
        var last: [String: Any] = [:]
        let done = try await eventually(timeout: .seconds(60)) {
            let response = try await client.get("/api/deeper-analysis/status/\(id)")
            last = (try? parseJSON(String(buffer: response.body ?? ByteBuffer())) as? [String: Any]) ?? [:]
            return last["status"] as? String == "completed"
        }
        #expect(done, "job \(id) did not complete: \(last)")
        #expect(last["success"] as? Bool == true)
        #expect(last["job_id"] as? String == id)
        return id
    }

    /// `deeper analyze`'s computation of the sample at `asOf`, as a job result.
    static func offlineResult(jobID: String) throws -> Any {
        let input = try OfflineInput.load(
            printsPath: DeeperProcess.path("fixtures/sample-prints.csv"),
            universePath: DeeperProcess.path("fixtures/sample-universe.csv"), rules: .default, skipInvalid: false)
        let (symbols, requests) = input.requests(for: input.symbols.sorted())
        let asOf = try #require(TimeText.parseInstant(Self.asOf))
        let metrics = BatchEngine(threads: 1).run(
            store: input.store, requests: requests, asOf: .instant(asOf), parameters: AnalysisParameters())
        return try parseJSON(
            ResultJSON.jobResult(jobID: jobID, symbols: symbols, metrics: metrics, processedCount: symbols.count, finishedAt: 0))
    }

    /// Runs a Python script with the first `python3` that has redis-py (Debian's python3-redis
    /// installs it for /usr/bin/python3).
    static func runPython(_ arguments: [String], redisPort: Int) throws -> (status: Int32, stdout: String, stderr: String) {
        let candidates = ["/usr/bin/python3"] + (findExecutable(["python3"]).map { [$0] } ?? [])
        guard let python = candidates.first(where: { hasRedisModule($0) }) else {
            throw SupportError("no python3 with redis-py: apt-get install python3-redis (scripts/setup installs it)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["REDIS_HOST"] = "127.0.0.1"
        environment["REDIS_PORT"] = String(redisPort)
        environment.removeValue(forKey: "REDIS_PASSWORD")
        environment.removeValue(forKey: "REDIS_DB")
        return try runToCompletion(python, arguments, environment: environment, timeout: .seconds(60))
    }

    static func hasRedisModule(_ python: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python),
            let run = try? runToCompletion(python, ["-c", "import redis"], timeout: .seconds(30))
        else { return false }
        return run.status == 0
    }

    /// Headless Chromium with a profile of its own (so runs never share a lock), killed if it
    /// hangs.
    func runChromium(_ chromium: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        return try runToCompletion(
            chromium,
            ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)"]
                + arguments,
            timeout: .seconds(120))
    }
}

/// `deeper serve --port 0` against the harness's Redis, and the port it reported.
final class ServeProcess: Sendable {
    let process: DeeperProcess
    let port: Int

    init(_ h: APIHarness) throws {
        process = try DeeperProcess(["serve", "--port", "0"] + h.redisPortArguments)
        let marker = "Deeper API listening on http://127.0.0.1:"
        guard process.waitForLog(marker) else { throw SupportError("deeper serve did not start:\n\(process.log)") }
        let log = process.log
        guard let range = log.range(of: marker),
            let port = Int(log[range.upperBound...].prefix(while: { $0.isNumber }))
        else { throw SupportError("no port in the log of deeper serve:\n\(log)") }
        self.port = port
    }
}

/// The first of `names` found on `PATH`, as an absolute path.
func findExecutable(_ names: [String]) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for name in names {
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
    }
    return nil
}

/// Runs `executable` to completion (SIGKILL after `timeout`), with stdout and stderr captured.
func runToCompletion(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration
) throws -> (status: Int32, stdout: String, stderr: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("stdout")
    let err = dir.appendingPathComponent("stderr")
    let child = try ChildProcess(executable, arguments: arguments, environment: environment, stdout: out.path, stderr: err.path)
    let status = child.wait(timeout: timeout) ?? {
        child.terminate(signal: SIGKILL)
        return -1
    }()
    return (
        status, (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        (try? String(contentsOf: err, encoding: .utf8)) ?? ""
    )
}
