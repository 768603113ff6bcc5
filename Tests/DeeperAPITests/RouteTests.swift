import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import Testing

@testable import DeeperAPI

/// Every route in process (HummingbirdTesting's router framework), against a private
/// redis-server; no worker runs, so jobs stay queued and results are written by the test.
@Suite("Routes")
struct RouteTests {
    // MARK: - Compute

    @Test func computeWithoutABodyQueuesExactlyWhatJobQueueWrites() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/api/deeper-analysis/compute", method: .post)
            #expect(response.status == .ok)
            #expect(response.contentType == "application/json; charset=utf-8")
            let reply = response.object
            #expect(reply["success"] as? Bool == true)
            #expect(reply["status"] as? String == "queued")
            #expect(reply["message"] as? String == "Job queued")
            let id = try #require(reply["job_id"] as? String)
            #expect(id == id.lowercased() && UUID(uuidString: id) != nil)

            // The queue holds the job as JobQueue.enqueue writes it: parse it, write it back.
            let queued = try #require(try h.redis.command(["LINDEX", RedisKeys.jobs, "0"]).bytes)
            let job = try JobRequest.parse(queued)
            #expect(job.jobID == id)
            #expect(job.symbols == nil)
            #expect(job.asOf == .live)
            #expect(job.createdAt.flatMap(TimeText.parseInstant) != nil)
            #expect(String(decoding: queued, as: UTF8.self) == job.queuedJSON())
            #expect(try h.listLength(RedisKeys.jobs) == 1)

            let status = try #require(try h.get(RedisKeys.status(id)).map(parseJSON) as? [String: Any])
            #expect(status["status"] as? String == "queued")
            #expect(status["message"] as? String == "Job queued")
            let ttl = try h.redis.command(["TTL", RedisKeys.status(id)]).int ?? -1
            #expect(ttl > 3500 && ttl <= 3600)
        }
    }

    @Test func computeTakesSymbolsAndAsOf() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let body = #"{"symbols": ["AHL PRF", "GAINN", "AHL PRF"], "as_of": "2025-11-21T16:00:00-05:00"}"#
            let response = try await client.post("/api/deeper-analysis/compute", body)
            #expect(response.status == .ok)
            let queued = try #require(try h.redis.command(["RPOP", RedisKeys.jobs]).bytes)
            let job = try JobRequest.parse(queued)
            #expect(job.jobID == response.object["job_id"] as? String)
            #expect(job.symbols == ["AHL PRF", "GAINN"])
            #expect(job.asOf == .instant(try #require(TimeText.parseInstant("2025-11-21T21:00:00Z"))))

            let last = try await client.post("/api/deeper-analysis/compute", #"{"as_of": "last", "symbols": null}"#)
            #expect(last.status == .ok)
            let lastJob = try JobRequest.parse(try #require(try h.redis.command(["RPOP", RedisKeys.jobs]).bytes))
            #expect(lastJob.asOf == .last)
            #expect(lastJob.symbols == nil)

            let epoch = try await client.post("/api/deeper-analysis/compute", #"{"as_of": 1763758800000}"#)
            #expect(epoch.status == .ok)
            let epochJob = try JobRequest.parse(try #require(try h.redis.command(["RPOP", RedisKeys.jobs]).bytes))
            #expect(epochJob.asOf == .instant(1_763_758_800_000 * Nanos.perMillisecond))
        }
    }

    static let badComputeBodies: [(body: String, field: String)] = [
        ("not json", "body:"),
        ("[1, 2]", "body:"),
        (#""symbols""#, "body:"),
        (#"{"symbols": "AHL PRF"}"#, "symbols:"),
        (#"{"symbols": ["ok", "BAD"]}"#, "symbols:"),
        (#"{"symbols": ["AHL PRF", 7]}"#, "symbols:"),
        (#"{"symbols": ["THIS IS FAR TOO LONG"]}"#, "symbols:"),
        (#"{"symbols": []}"#, "symbols:"),
        (#"{"as_of": "yesterday"}"#, "as_of:"),
        (#"{"as_of": -5}"#, "as_of:"),
        (#"{"as_of": true}"#, "as_of:"),
        (#"{"as_of": "2025-13-01T00:00:00Z"}"#, "as_of:"),
    ]

    @Test(arguments: badComputeBodies)
    func badComputeBodiesAre400WithAReasonNamingTheField(body: String, field: String) async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.post("/api/deeper-analysis/compute", body)
            #expect(response.status == .badRequest)
            #expect(response.object["success"] as? Bool == false)
            let error = try #require(response.object["error"] as? String)
            #expect(error.hasPrefix(field), "\(error)")
            #expect(try h.listLength(RedisKeys.jobs) == 0)
        }
    }

    @Test func moreThanTenThousandSymbolsAreRefused() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let symbols = (0...10_000).map { "S\($0)" }
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["symbols": symbols]), as: UTF8.self)
            let response = try await client.post("/api/deeper-analysis/compute", body)
            #expect(response.status == .badRequest)
            #expect(response.object["error"] as? String == "symbols: more than 10000 distinct symbols")

            let exactly = String(
                decoding: try JSONSerialization.data(withJSONObject: ["symbols": Array(symbols.prefix(10_000))]),
                as: UTF8.self)
            #expect(try await client.post("/api/deeper-analysis/compute", exactly).status == .ok)
        }
    }

    // MARK: - Status and result

    @Test func statusIsTheStoredStatusWithSuccessAndJobID() async throws {
        let h = try APIHarness()
        let stored = #"{"status":"processing","message":"Processing 36 symbols","worker":"w1","timestamp":"2025-11-21T21:00:00.000000Z"}"#
        _ = try h.redis.command(["SET", RedisKeys.status("job-1"), stored])
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.get("/api/deeper-analysis/status/job-1")
            #expect(response.status == .ok)
            #expect(
                response.text
                    == #"{"success":true,"job_id":"job-1","status":"processing","message":"Processing 36 symbols","worker":"w1","timestamp":"2025-11-21T21:00:00.000000Z"}"#
            )
        }
    }

    @Test(arguments: ["no-such-job", "has%20space", "a:b", String(repeating: "x", count: 201)])
    func unknownJobsAre404(id: String) async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            for route in ["status", "result"] {
                let response = try await client.get("/api/deeper-analysis/\(route)/\(id)")
                #expect(response.status == .notFound, "\(route)/\(id)")
                #expect(response.object["success"] as? Bool == false)
                #expect((response.object["error"] as? String)?.contains("not found") == true)
            }
        }
    }

    @Test func resultIsTheStoredJSONOnceCompletedAndTheStatusBefore() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let queued = try await client.execute(uri: "/api/deeper-analysis/compute", method: .post)
            let id = try #require(queued.object["job_id"] as? String)

            let early = try await client.get("/api/deeper-analysis/result/\(id)")
            #expect(early.status == .ok)
            #expect(early.object["success"] as? Bool == false)
            #expect(early.object["status"] as? String == "queued")
            #expect(early.object["job_id"] as? String == id)

            let failed = #"{"status":"failed","message":"Failed: boom","worker":"w1","error":"boom","timestamp":"2025-11-21T21:00:00Z"}"#
            _ = try h.redis.command(["SET", RedisKeys.status(id), failed])
            let failure = try await client.get("/api/deeper-analysis/result/\(id)")
            #expect(failure.object["success"] as? Bool == false)
            #expect(failure.object["status"] as? String == "failed")
            #expect(failure.object["error"] as? String == "boom")

            let result = #"{"success":true,"job_id":"\#(id)","processed_count":1,"total_symbols":1,"data":{"OFN":{"symbol":"OFN","god":0.0183}},"timestamp":"2025-11-21T21:00:01Z"}"#
            _ = try h.redis.command(["SET", RedisKeys.result(id), result])
            _ = try h.redis.command(["SET", RedisKeys.status(id), #"{"status":"completed","message":"done"}"#])
            let done = try await client.get("/api/deeper-analysis/result/\(id)")
            #expect(done.status == .ok)
            #expect(done.text == result)

            _ = try h.redis.command(["DEL", RedisKeys.result(id)])
            let expired = try await client.get("/api/deeper-analysis/result/\(id)")
            #expect(expired.status == .notFound)
            #expect((expired.object["error"] as? String)?.contains("expired") == true)
        }
    }

    // MARK: - Prints

    /// Every field of every stream entry, oldest first.
    static func streamEntries(_ h: APIHarness) throws -> [[String: String]] {
        var entries: [[String: String]] = []
        try h.redis.xrange(RedisKeys.prints) { entry in
            var fields: [String: String] = [:]
            for k in 0..<entry.fieldCount {
                fields[String(decoding: entry.field(at: k), as: UTF8.self)] = String(decoding: entry.value(at: k), as: UTF8.self)
            }
            entries.append(fields)
        }
        return entries
    }

    @Test func jsonPrintsKeepExactPricesAndListEveryRejectedItemWithItsReason() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let body = """
                [
                  {"symbol": "AHL PRF", "time": "2025-11-21T15:00:00.123Z", "price": 24.905, "size": 100, "venue": "fnra"},
                  {"symbol": "AHL PRF", "time": 1763737200456, "price": "12345.6789", "size": "300"},
                  {"symbol": "GAINN", "time": "2025-11-21T10:00:00-05:00", "price": 0.0001, "size": 2147483647, "venue": null},
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "price": 24.90501, "size": 100},
                  {"symbol": "gainn", "time": "2025-11-21T15:00:00Z", "price": 24.9, "size": 100},
                  {"symbol": "GAINN", "time": "noon", "price": 24.9, "size": 100},
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "price": -1, "size": 100},
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "price": 24.9, "size": 0},
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "price": 24.9, "size": 1.5},
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "size": 100},
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "price": 2.49e1, "size": 100},
                  {"symbol": 7, "time": "2025-11-21T15:00:00Z", "price": 24.9, "size": 100},
                  [1, 2, 3],
                  {"symbol": "GAINN", "time": "2025-11-21T15:00:00Z", "price": 24.9, "size": 100, "venue": 5}
                ]
                """
            let response = try await client.post("/api/prints", body)
            #expect(response.status == .ok)
            let reply = response.object
            #expect(reply["success"] as? Bool == true)
            #expect(reply["accepted"] as? Int == 3)
            #expect(reply["rejected_count"] as? Int == 11)
            let rejected = try #require(reply["rejected"] as? [[String: Any]])
            let reasons = Dictionary(uniqueKeysWithValues: rejected.map { ($0["line"] as? Int ?? 0, $0["reason"] as? String ?? "") })
            #expect(reasons.keys.sorted() == Array(4...14))
            #expect(reasons[4] == #"price: more than 4 decimal places ("24.90501")"#)
            #expect(reasons[5]?.hasPrefix("symbol: lower-case letter") == true)
            #expect(reasons[6]?.hasPrefix("time: not an ISO-8601 time") == true)
            #expect(reasons[7] == #"price: not a decimal number ("-1")"#)
            #expect(reasons[8] == #"size: size must be at least 1 ("0")"#)
            #expect(reasons[9] == #"size: not a whole number of shares ("1.5")"#)
            #expect(reasons[10] == "price: missing")
            #expect(reasons[11] == #"price: not a decimal number ("2.49e1")"#)
            #expect(reasons[12] == "symbol: expected a string, got a number")
            #expect(reasons[13] == "expected an object, got an array")
            #expect(reasons[14] == "venue: expected a string, got a number")

            let entries = try Self.streamEntries(h)
            #expect(entries.count == 3)
            #expect(entries[0] == ["sym": "AHL PRF", "t": "1763737200123", "p": "24.905", "s": "100", "v": "FNRA"])
            #expect(entries[1] == ["sym": "AHL PRF", "t": "1763737200456", "p": "12345.6789", "s": "300", "v": ""])
            #expect(entries[2] == ["sym": "GAINN", "t": "1763737200000", "p": "0.0001", "s": "2147483647", "v": ""])
            let symbols = try h.redis.command(["SMEMBERS", RedisKeys.symbols]).array?.compactMap(\.string).sorted()
            #expect(symbols == ["AHL PRF", "GAINN"])
        }
    }

    @Test func csvPrintsGoThroughTheCSVReaderWithLineNumbers() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let body = """
                symbol,time,price,size,venue
                OFN,2025-11-21T15:00:00Z,26.615,200,NSDQ

                OFN,2025-11-21T15:00:01Z,26.61501,200,NSDQ
                "OFN",2025-11-21T15:00:02Z,26.62,100,
                OFN,2025-11-21T15:00:03Z,26.62

                """
            let response = try await client.post("/api/prints", body, contentType: "text/csv; charset=utf-8")
            #expect(response.status == .ok)
            #expect(response.object["accepted"] as? Int == 2)
            let rejected = try #require(response.object["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["line"] as? Int } == [4, 6])
            #expect(rejected.first?["reason"] as? String == #"price: more than 4 decimal places ("26.61501")"#)
            #expect((rejected.last?["reason"] as? String)?.isEmpty == false)
            let entries = try Self.streamEntries(h)
            #expect(entries.map { $0["p"] } == ["26.615", "26.62"])
            #expect(entries.map { $0["v"] } == ["NSDQ", ""])
        }
    }

    @Test func aPrintsBodyIsReadOnlyAsJSONOrCSVNeverSniffed() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let json = #"[{"symbol":"OFN","time":"2025-11-21T15:00:00Z","price":1,"size":100}]"#
            let csv = "symbol,time,price,size\nOFN,2025-11-21T15:00:00Z,1,100\n"
            // What a cross-site page can send without a preflight: a form, text/plain, nothing.
            for (body, type) in [
                (json, nil), (csv, "application/x-www-form-urlencoded"), (csv, "text/plain"),
                (csv, "multipart/form-data; boundary=x"), (csv, "application/csv"),
            ] as [(String, String?)] {
                let response = try await client.post("/api/prints", body, contentType: type)
                #expect(response.status == .unsupportedMediaType, "\(type ?? "none")")
                #expect(response.object["error"] as? String == "Content-Type: expected application/json or text/csv")
            }
            #expect(try await client.post("/api/prints", json, contentType: "Application/JSON; charset=utf-8").status == .ok)
            #expect(try await client.post("/api/prints", csv, contentType: "text/csv").status == .ok)
            #expect(try Self.streamEntries(h).count == 2)
        }
    }

    static let badPrintBodies: [(body: String, contentType: String, status: Int, reason: String)] = [
        ("{\"symbol\": \"OFN\"}", "application/json", 400, "body: not a JSON array of prints: line 1, column 1"),
        ("[{\"symbol\": \"OFN\"", "application/json", 400, "body: not a JSON array of prints: line 1, column 18"),
        ("[1,]", "application/json", 400, "body: not a JSON array of prints: line 1, column 4"),
        ("", "application/json", 400, "body: not a JSON array of prints"),
        ("symbol,price\nOFN,1\n", "text/csv", 400, "body: CSV header:"),
        ("", "text/csv", 400, "body: CSV header: no header line"),
        ("<prints/>", "application/xml", 415, "Content-Type: expected application/json"),
    ]

    @Test(arguments: badPrintBodies)
    func badPrintBodiesAreRefusedWholeWithAReason(body: String, contentType: String, status: Int, reason: String)
        async throws
    {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.post("/api/prints", body, contentType: contentType)
            #expect(Int(response.status.code) == status)
            #expect(response.object["success"] as? Bool == false)
            let error = try #require(response.object["error"] as? String)
            #expect(error.hasPrefix(reason), "\(error)")
            #expect(try h.redis.command(["EXISTS", RedisKeys.prints]) == .integer(0))
        }
    }

    @Test func aPrintsBodyOverTheLimitIs413() async throws {
        let h = try APIHarness()
        try await h.api({ $0.maxPrintsBodyBytes = 1024 }).makeApplication().test(.router) { client in
            let line = "OFN,2025-11-21T15:00:00Z,26.615,200,NSDQ\n"
            let body = "symbol,time,price,size,venue\n" + String(repeating: line, count: 40)
            let response = try await client.post("/api/prints", body, contentType: "text/csv")
            #expect(response.status == .contentTooLarge)
            #expect((response.object["error"] as? String)?.hasPrefix("body: larger than 1024 bytes") == true)
            #expect(try h.redis.command(["EXISTS", RedisKeys.prints]) == .integer(0))
        }
    }

    // MARK: - Health, metrics, page

    @Test func healthReportsQueueLengthAndLiveWorkers() async throws {
        let h = try APIHarness()
        _ = try h.redis.command(["SET", RedisKeys.heartbeat("worker2"), "{}", "EX", "30"])
        _ = try h.redis.command(["SET", RedisKeys.heartbeat("worker1"), "{}", "EX", "30"])
        _ = try h.redis.command(["LPUSH", RedisKeys.jobs, "a", "b", "c"])
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            let health = response.object
            #expect(health["status"] as? String == "ok")
            #expect(health["redis"] as? String == "reachable")
            #expect(health["queue_length"] as? Int == 3)
            #expect(health["live_workers"] as? Int == 2)
            #expect(health["workers"] as? [String] == ["worker1", "worker2"])
        }
    }

    @Test func metricsCountRequestsByRouteAndReportTheQueue() async throws {
        let h = try APIHarness()
        let server = h.api()
        try await server.makeApplication().test(.router) { client in
            // Wait for the event subscription, so the queued event is counted.
            #expect(await eventually { server.subscriber.isSubscribed })
            _ = try await client.execute(uri: "/api/deeper-analysis/compute", method: .post)
            _ = try await client.get("/api/deeper-analysis/status/unknown-1")
            _ = try await client.get("/api/deeper-analysis/status/unknown-2")
            _ = try await client.get("/no/such/route")
            #expect(h.log.contains("GET /no/such/route 404"))
            #expect(await eventually {
                String(decoding: server.metrics.registry.emitToBuffer(), as: UTF8.self)
                    .contains(#"deeper_job_events_total{status="queued"} 1"#)
            })
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            for line in [
                #"deeper_http_requests_total{method="POST",route="/api/deeper-analysis/compute",status="200"} 1"#,
                #"deeper_http_requests_total{method="GET",route="/api/deeper-analysis/status/{job_id}",status="404"} 2"#,
                #"deeper_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
                #"deeper_http_request_duration_seconds_count{method="GET",route="/api/deeper-analysis/status/{job_id}"} 2"#,
                "deeper_queue_length 1\n",
                "deeper_workers_live 0\n",
                "deeper_redis_up 1\n",
                "deeper_http_connections_open ",
                #"deeper_job_events_total{status="queued"} 1"#,
            ] {
                #expect(text.contains(line), "missing \(line) in\n\(text)")
            }
        }
    }

    @Test func everyRequestGetsOneAccessLogLine() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            _ = try await client.get("/health")
            _ = try await client.get("/api/deeper-analysis/status/abc")
            _ = try await client.post("/api/deeper-analysis/compute", "nope")
        }
        let lines = h.log.lines.withLock { $0 }
        let access = lines.filter { $0.hasPrefix("info ") && $0.hasSuffix(" ms") }
        #expect(access.count == 3, "\(lines)")
        #expect(access.contains { $0.hasPrefix("info GET /health 200 ") })
        #expect(access.contains { $0.hasPrefix("info GET /api/deeper-analysis/status/abc 404 ") })
        #expect(access.contains { $0.hasPrefix("info POST /api/deeper-analysis/compute 400 ") })
    }

    @Test func thePageIsServedSelfContained() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.get("/")
            #expect(response.status == .ok)
            #expect(response.contentType == "text/html; charset=utf-8")
            let page = response.text
            // Byte for byte the file in the repository.
            let file = try Data(
                contentsOf: DeeperProcess.repository.appendingPathComponent("Sources/DeeperAPI/Resources/index.html"))
            #expect(Array(response.body.readableBytesView) == Array(file))
            #expect(page.contains("<title>Deeper Analysis</title>"))
            #expect(page.contains(#"id="refresh""#))
            for column in ["Symbol", "Last", "GOD", "ROD", "GRPAN", "RWVAP 1d", "SRPAN score", "Ticks"] {
                #expect(page.contains(">\(column)</th>"), "column \(column)")
            }
            // Nothing comes from elsewhere: no scripts, styles or images by URL.
            #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("@import"))
            #expect(!page.contains("<script src"))

            let ws = try await client.get("/ws")
            #expect(ws.status.code == 426)
        }
    }

    @Test func theOpenAPIDocumentIsServedOpenAndByteForByte() async throws {
        let h = try APIHarness()
        // Open like /health: no token, even when the server has one.
        try await h.api({ $0.access = APIAccess(token: "a-token-the-client-does-not-send") }).makeApplication().test(.router) { client in
            let response = try await client.get("/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.contentType == "application/yaml")
            let file = try Data(contentsOf: DeeperProcess.repository.appendingPathComponent("openapi.yaml"))
            #expect(Array(response.body.readableBytesView) == Array(file))
            #expect(response.text.hasPrefix("openapi: 3.1"))

            let page = try await client.get("/")
            #expect(page.text.contains(#"href="/openapi.yaml""#))
        }
    }

    /// `RouteMethods.table` (what the 405 answers rest on) is the router's own route list: a
    /// route added, moved or given another method without the table fails here.
    @Test func theMethodTableIsTheRoutersRoutes() throws {
        let h = try APIHarness()
        let router = Router(context: BasicWebSocketRequestContext.self)
        h.api().addRoutes(to: router)
        func key(_ segments: [Substring], _ method: HTTPRequest.Method) -> String {
            "\(method.rawValue) /" + segments.joined(separator: "/")
        }
        let routed = Set(router.routes.map { route in
            key(route.path.components.map { "\($0)".hasPrefix("{") || "\($0)".hasPrefix(":") ? "*" : Substring("\($0)") }, route.method)
        })
        let tabled = Set(RouteMethods.table.flatMap { entry in entry.methods.map { key(entry.pattern, $0) } })
        #expect(routed == tabled)
        #expect(tabled.count == 11)
    }

    /// A known path asked with a method it does not serve is 405 with `Allow` (schemathesis
    /// found a bare 404 there), before any token or body check; unknown paths stay 404, and a
    /// HEAD of a GET route and the routes' own methods pass through.
    @Test func aMethodAPathDoesNotServeIs405WithAllow() async throws {
        let h = try APIHarness()
        try await h.api({ $0.access = APIAccess(token: "secret") }).makeApplication().test(.router) { client in
            for (method, uri, allow) in [
                (HTTPRequest.Method.trace, "/health", "GET"), (.post, "/", "GET"), (.delete, "/metrics", "GET"),
                (.get, "/api/prints", "POST"), (.put, "/api/deeper-analysis/compute", "POST"),
                (.post, "/api/deeper-analysis/status/j1", "GET"), (.post, "/api/deeper-analysis/result/a%20b", "GET"),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                #expect(response.object["success"] as? Bool == false)
            }
            #expect(try await client.execute(uri: "/nowhere", method: .trace).status == .notFound)
            // No route serves it, so no 405; under /api the token is asked for before any 404.
            #expect(try await client.execute(uri: "/api/deeper-analysis/status/a/b", method: .post).status == .unauthorized)
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            // The route's own method still meets the token check.
            #expect(try await client.execute(uri: "/api/deeper-analysis/status/j1", method: .get).status == .unauthorized)
        }
    }

    // MARK: - Redis down

    @Test func redisDownIs503EverywhereAndHealthSaysSoUntilItIsBack() async throws {
        let h = try APIHarness()
        let server = h.api()
        try await server.makeApplication().test(.router) { client in
            // Warm the pool so that stale connections are exercised too.
            #expect(try await client.get("/health").status == .ok)
            h.redisServer.stop()

            let compute = try await client.execute(uri: "/api/deeper-analysis/compute", method: .post)
            #expect(compute.status == .serviceUnavailable)
            #expect(compute.object["success"] as? Bool == false)
            #expect((compute.object["error"] as? String)?.hasPrefix("Redis unavailable: ") == true)

            for uri in ["/api/deeper-analysis/status/x", "/api/deeper-analysis/result/x"] {
                let response = try await client.get(uri)
                #expect(response.status == .serviceUnavailable, "\(uri)")
                #expect((response.object["error"] as? String)?.hasPrefix("Redis unavailable: ") == true)
            }
            let prints = try await client.post(
                "/api/prints", #"[{"symbol":"OFN","time":"2025-11-21T15:00:00Z","price":1,"size":100}]"#)
            #expect(prints.status == .serviceUnavailable)
            #expect(prints.object["accepted"] as? Int == 0)

            let health = try await client.get("/health")
            #expect(health.status == .serviceUnavailable)
            #expect(health.object["status"] as? String == "unavailable")
            #expect(health.object["redis"] as? String == "unreachable")
            #expect((health.object["error"] as? String)?.hasPrefix("Redis unavailable: ") == true)

            let metrics = try await client.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("deeper_redis_up 0\n"))
            // Gauges it could not read are left out, never shown as 0 (an empty queue).
            #expect(!metrics.text.contains("deeper_queue_length"), "\(metrics.text)")
            #expect(!metrics.text.contains("deeper_workers_live"), "\(metrics.text)")

            // Back: the pool connects anew and the subscriber resubscribes.
            try h.redisServer.start()
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.execute(uri: "/api/deeper-analysis/compute", method: .post).status == .ok)
            #expect(await eventually(timeout: .seconds(15)) { server.subscriber.isSubscribed })
        }
    }
}
