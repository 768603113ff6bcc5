import DeeperData
import DeeperKernels
import DeeperRedis
import DeeperTestSupport
import DeeperQueue
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import DeeperAPI

/// The token, origins, body types, the queue cap, strict bodies and Redis errors, in process
/// (HummingbirdTesting's router framework) against a private redis-server.
@Suite("Security routes")
struct SecurityRouteTests {
    static let token = "s3cret-token_0123456789"

    /// Every route a client can call, with a request that would succeed given the token.
    static let protectedRoutes: [(method: HTTPRequest.Method, uri: String, body: String?)] = [
        (.post, "/api/deeper-analysis/compute", "{}"),
        (.get, "/api/deeper-analysis/status/some-job", nil),
        (.get, "/api/deeper-analysis/result/some-job", nil),
        (.post, "/api/prints", #"[{"symbol":"OFN","time":"2025-11-21T15:00:00Z","price":1,"size":100}]"#),
        (.get, "/api/deeper-analysis/live", nil),
        (.get, "/api/no-such-route", nil),
        (.get, "/ws", nil),
    ]

    static func request(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: String?,
        authorization: String? = nil, origin: String? = nil
    ) async throws -> TestResponse {
        var headers = HTTPFields()
        if body != nil { headers[.contentType] = "application/json" }
        if let authorization { headers[.authorization] = authorization }
        if let origin { headers[.origin] = origin }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    @Test func everyAPIRouteAndTheWebSocketNeedTheTokenWhenOneIsSet() async throws {
        let h = try APIHarness()
        try await h.api({ $0.access = APIAccess(token: Self.token) }).makeApplication().test(.router) { client in
            for (method, uri, body) in Self.protectedRoutes {
                let missing = try await Self.request(client, method, uri, body: body)
                #expect(missing.status == .unauthorized, "\(uri)")
                #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="deeper""#)
                #expect(missing.object["error"] as? String == "missing token: send Authorization: Bearer <API_TOKEN>")
                for wrong in ["Bearer wrong", "Bearer \(Self.token)x", "Bearer \(Self.token.dropLast())", "Basic \(Self.token)", Self.token] {
                    let response = try await Self.request(client, method, uri, body: body, authorization: wrong)
                    #expect(response.status == .unauthorized, "\(uri) with \(wrong)")
                }
                let right = try await Self.request(client, method, uri, body: body, authorization: "Bearer \(Self.token)")
                #expect(right.status != .unauthorized, "\(uri)")
                #expect(right.status.code < 500, "\(uri): \(right.status)")
            }
            // Nothing was written by the refused requests: one job and one print, from the right ones.
            #expect(try h.listLength(RedisKeys.jobs) == 1)
            #expect(try h.redis.command(["XLEN", RedisKeys.prints]).int == 1)
            // The WebSocket may carry the token in its query (browsers cannot set its headers); no other route may.
            #expect(try await client.get("/ws?token=\(Self.token)").status.code == 426)
            #expect(try await client.get("/ws?token=wrong").status == .unauthorized)
            #expect(try await client.get("/api/deeper-analysis/status/x?token=\(Self.token)").status == .unauthorized)
            // Encoded or doubled slashes are the same route to the check.
            #expect(try await client.get("/%61pi/deeper-analysis/status/x").status == .unauthorized)
            #expect(try await client.get("//api//deeper-analysis/status/x").status == .unauthorized)
            // Probes, scrapers and the page stay open.
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.get("/metrics").status == .ok)
            #expect(try await client.get("/").status == .ok)
        }
    }

    @Test func withoutATokenTheAPIIsOpenAsBefore() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            for (method, uri, body) in Self.protectedRoutes {
                let response = try await Self.request(client, method, uri, body: body)
                #expect(response.status != .unauthorized, "\(uri)")
            }
        }
    }

    @Test func foreignOriginsAreRefusedAndAllowedOnesGetCORS() async throws {
        let h = try APIHarness()
        let allowed = "https://desk.example:8443"
        try await h.api({ $0.access = APIAccess(token: Self.token, allowedOrigins: [allowed + "/"]) }).makeApplication()
            .test(.router)
        { client in
            let auth = "Bearer \(Self.token)"
            for (method, uri, body) in Self.protectedRoutes {
                for origin in ["http://evil.example", "null", "http://127.0.0.1.evil.example", "https://desk.example"] {
                    let response = try await Self.request(client, method, uri, body: body, authorization: auth, origin: origin)
                    #expect(response.status == .forbidden, "\(uri) from \(origin)")
                    #expect((response.object["error"] as? String)?.hasPrefix("Origin ") == true)
                }
            }
            #expect(try h.listLength(RedisKeys.jobs) == 0)
            #expect(try h.redis.command(["EXISTS", RedisKeys.prints]).int == 0)

            let ok = try await Self.request(
                client, .post, "/api/deeper-analysis/compute", body: "{}", authorization: auth, origin: "HTTPS://desk.example:8443")
            #expect(ok.status == .ok)
            #expect(ok.headers[.accessControlAllowOrigin] == allowed)
            var preflightHeaders = HTTPFields()
            preflightHeaders[.origin] = allowed
            preflightHeaders[.accessControlRequestMethod] = "POST"
            let preflight = try await client.execute(uri: "/api/prints", method: .options, headers: preflightHeaders)
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowHeaders] == "Authorization, Content-Type")
            preflightHeaders[.origin] = "http://evil.example"
            #expect(try await client.execute(uri: "/api/prints", method: .options, headers: preflightHeaders).status == .forbidden)
        }
    }

    @Test func computeBodiesMustBeJSON() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            for type in ["text/plain", "application/x-www-form-urlencoded", "text/csv"] {
                let response = try await client.post("/api/deeper-analysis/compute", "{}", contentType: type)
                #expect(response.status == .unsupportedMediaType, "\(type)")
                #expect(response.object["error"] as? String == "Content-Type: expected application/json")
            }
            let untyped = try await client.post("/api/deeper-analysis/compute", "{}", contentType: nil)
            #expect(untyped.status == .unsupportedMediaType)
            #expect(try h.listLength(RedisKeys.jobs) == 0)
            // No body at all (curl -X POST) still queues every symbol.
            #expect(try await client.execute(uri: "/api/deeper-analysis/compute", method: .post).status == .ok)
        }
    }

    // MARK: - Back-pressure

    @Test func beyondMaxQueueComputeIs429WithRetryAfterAndQueuesNothing() async throws {
        let h = try APIHarness()
        try await h.api({ $0.maxQueue = 3 }).makeApplication().test(.router) { client in
            for _ in 0..<3 { #expect(try await client.post("/api/deeper-analysis/compute", "{}").status == .ok) }
            let statusKeys = try h.redis.command(["KEYS", RedisKeys.status("*")]).array?.count
            let refused = try await client.post("/api/deeper-analysis/compute", "{}")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "5")
            #expect(refused.object["queue_length"] as? Int == 3)
            #expect((refused.object["error"] as? String)?.hasPrefix("queue full: 3 jobs are waiting (MAX_QUEUE 3)") == true)
            #expect(try h.listLength(RedisKeys.jobs) == 3)
            #expect(try h.redis.command(["KEYS", RedisKeys.status("*")]).array?.count == statusKeys)
            // A worker takes one: there is room again.
            _ = try h.redis.command(["RPOP", RedisKeys.jobs])
            #expect(try await client.post("/api/deeper-analysis/compute", "{}").status == .ok)
        }
    }

    @Test func concurrentComputesNeverOvershootTheCap() async throws {
        let h = try APIHarness()
        try await h.api({
            $0.maxQueue = 10
            $0.blockingThreads = 4
        }).makeApplication().test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask { Int(try await client.post("/api/deeper-analysis/compute", "{}").status.code) }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 10)
            #expect(statuses.filter { $0 == 429 }.count == 30)
            #expect(try h.listLength(RedisKeys.jobs) == 10)
        }
    }

    // MARK: - Redis errors

    @Test func aRefusedRedisPasswordIs503NamingTheRedisError() async throws {
        let redis = try RedisTestServer(password: "right")
        for password in [nil, "wrong"] as [String?] {
            let c = APIConfiguration(
                port: 0, redis: RedisConfiguration(port: redis.port, password: password),
                redisConnectTimeout: .milliseconds(500), blockingThreads: 1)
            let expected = password == nil ? "NOAUTH" : "WRONGPASS"
            try await DeeperAPIServer(configuration: c, logger: CapturedLog().logger).makeApplication().test(.router) { client in
                for (k, response) in [
                    try await client.get("/api/deeper-analysis/status/x"),
                    try await client.get("/api/deeper-analysis/result/x"),
                    try await client.post("/api/deeper-analysis/compute", "{}"),
                    try await client.post(
                        "/api/prints", #"[{"symbol":"OFN","time":"2025-11-21T15:00:00Z","price":1,"size":100}]"#),
                ].enumerated() {
                    #expect(response.status == .serviceUnavailable)
                    let error = try #require(response.object["error"] as? String)
                    // Without a password Redis 7 answers a long command before AUTH with a
                    // protocol error and closes; short ones say NOAUTH.
                    let words = password == nil && k >= 2 ? "Redis " : "Redis error: \(expected)"
                    #expect(error.hasPrefix(words), "\(error)")
                }
            }
        }
    }

    // MARK: - Strict compute bodies

    static let refusedComputeBodies: [(body: String, reason: String)] = [
        (#"{"symbolz": ["OFN"]}"#, #"body: unknown member "symbolz" (expected "symbols" and "as_of")"#),
        (#"{"symbols": ["OFN"],}"#, "body: not JSON: line 1, column 2"),
        (#"{"symbols": ["OFN",]}"#, "body: not JSON: line 1, column 2"),
        (#"{"symbols": ["OFN"], "symbols": null}"#, #"body: member "symbols" given twice"#),
        (#"{"as_of": 1763758800000.5}"#, #"as_of: 1763758800000.5 is not "live", "last""#),
        (#"{"as_of": 1.7637588e12}"#, #"as_of: 1.7637588e12 is not"#),
        (#"{"as_of": true}"#, #"as_of: true is not"#),
        (#"{"as_of": false}"#, #"as_of: false is not"#),
        (#"{"as_of": {}}"#, #"as_of: {} is not"#),
        (#"{"as_of": [1]}"#, #"as_of: [1] is not"#),
        (#"{"symbols": [true]}"#, #"symbols: true is not a valid symbol"#),
        (#"{"symbols": [{}]}"#, #"symbols: {} is not a valid symbol"#),
        (#"{"symbols": ["ok"]}"#, #"symbols: "ok" is not a valid symbol"#),
        (#"{"symbols": {"a": 1}}"#, #"symbols: expected null or a list of symbols, got {"a":1}"#),
    ]

    @Test(arguments: refusedComputeBodies)
    func computeBodiesAreReadStrictlyAndValuesQuotedInJSON(body: String, reason: String) async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.post("/api/deeper-analysis/compute", body)
            #expect(response.status == .badRequest)
            let error = try #require(response.object["error"] as? String)
            #expect(error.hasPrefix(reason), "\(error)")
            #expect(try h.listLength(RedisKeys.jobs) == 0)
        }
    }

    @Test func repeatsOfOneSymbolCountOnce() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let body = #"{"symbols": ["# + Array(repeating: #"" OFN ""#, count: 10_001).joined(separator: ",") + "]}"
            let response = try await client.post("/api/deeper-analysis/compute", body)
            #expect(response.status == .ok, "\(response.text.prefix(200))")
            let job = try JobRequest.parse(try #require(try h.redis.command(["RPOP", RedisKeys.jobs]).bytes))
            #expect(job.symbols == ["OFN"])
        }
    }

    // MARK: - Prints: symbols and venues

    @Test func symbolsAndVenuesAreTrimmedAndVenuesBounded() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let long = String(repeating: "V", count: 33)
            let json = """
                [{"symbol":"QAT ","time":"2025-11-21T15:00:00Z","price":1,"size":100,"venue":" nyse "},
                 {"symbol":"QAT","time":"2025-11-21T15:00:01Z","price":1,"size":100,"venue":"\(long)"},
                 {"symbol":"QAT","time":"2025-11-21T15:00:02Z","price":1,"size":100,"venue":"A\\u0007B"},
                 {"symbol":"QAT","time":"2025-11-21T15:00:03Z","price":1,"size":100,"venue":"\(long.dropLast())"}]
                """
            let response = try await client.post("/api/prints", json)
            #expect(response.status == .ok)
            #expect(response.object["accepted"] as? Int == 2)
            let reasons = (response.object["rejected"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
            #expect(reasons.count == 2)
            #expect(reasons.first?.hasPrefix("venue: venue longer than 32 bytes") == true, "\(reasons)")
            #expect(reasons.last?.hasPrefix("venue: venue must be printable ASCII") == true, "\(reasons)")

            let csv = "symbol,time,price,size,venue\n QAT ,2025-11-21T15:00:04Z,1,100, arca \nQAT,2025-11-21T15:00:05Z,1,100,\(long)\n"
            let csvResponse = try await client.post("/api/prints", csv, contentType: "text/csv")
            #expect(csvResponse.object["accepted"] as? Int == 1)
            #expect(csvResponse.object["rejected_count"] as? Int == 1)

            let entries = try RouteTests.streamEntries(h)
            #expect(entries.map { $0["sym"] } == ["QAT", "QAT", "QAT"])
            #expect(entries.map { $0["v"] } == ["NYSE", String(long.dropLast()), "ARCA"])
        }
    }

    @Test func afterAnUnterminatedQuoteTheLaterLinesAreReported() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let csv = "symbol,time,price,size\nOFN,2025-11-21T15:00:00Z,\"1,100\nOFN,2025-11-21T15:00:01Z,1,100\nOFN,bad,1,100\n"
            let response = try await client.post("/api/prints", csv, contentType: "text/csv")
            #expect(response.object["accepted"] as? Int == 1)
            let lines = (response.object["rejected"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int }
            #expect(lines == [2, 4])
        }
    }

    // MARK: - Pieces

    @Test func tokensCompareWholeAndOriginsNormalize() {
        #expect(APIAccess.constantTimeEqual("abc", "abc"))
        #expect(!APIAccess.constantTimeEqual("abd", "abc"))
        #expect(!APIAccess.constantTimeEqual("ab", "abc"))
        #expect(!APIAccess.constantTimeEqual("abcabc", "abc"))
        #expect(!APIAccess.constantTimeEqual("", "abc"))
        #expect(!APIAccess.constantTimeEqual("", ""))
        #expect(APIAccess.bearer("bearer  tok ") == "tok")
        #expect(APIAccess.bearer("Bearer") == nil)
        #expect(APIAccess.queryToken("a=1&token=x%2By") == "x+y")
        #expect(APIAccess.normalizedOrigin("HTTP://Host:80") == "http://host")
        #expect(APIAccess.normalizedOrigin("https://h:443/") == "https://h")
        #expect(APIAccess.normalizedOrigin("null") == nil)
        #expect(APIAccess.normalizedOrigin("https://u@h") == nil)
        #expect(APIAccess.normalizedOrigin("ftp://h") == nil)
        #expect(APIAccess.normalizedOrigin("ws://localhost:80") == "ws://localhost")
        #expect(APIAccess.authority(ofOrigin: "wss://h:8443") == "h:8443")
        let local = APIAccess(allowedOrigins: ["https://desk.example"])
        for host in ["localhost", "LOCALHOST:8000", "127.0.0.1", "127.1.2.3:80", "[::1]", "[::1]:8000", "desk.example"] {
            #expect(local.isLocalHost(host), "\(host)")
        }
        for host in ["evil.example", "127.0.0.1.evil.example", "localhost.evil", "10.0.0.1:8000", "[::2]", "127.0.0", "desk.example:8443"] {
            #expect(!local.isLocalHost(host), "\(host)")
        }
    }

    @Test func settingsComeFromFlagsThenTheEnvironment() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-token-\(UUID().uuidString)")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        var c = APIConfiguration()
        try c.applySecurity(
            APISecurityFlags(),
            environment: [
                "API_TOKEN_FILE": file.path, "API_ALLOW_ORIGINS": "https://a.example, http://b.example:8080",
                "MAX_QUEUE": "7", "API_HEADER_TIMEOUT": "0.5", "API_BODY_TIMEOUT": "4", "API_IDLE_TIMEOUT": "2",
                "API_MAX_CONNECTIONS": "9",
            ])
        #expect(c.access.token == "from-file")
        #expect(c.access.allowedOrigins == ["https://a.example", "http://b.example:8080"])
        #expect(c.maxQueue == 7)
        #expect(c.connectionLimits.headerTimeout == .milliseconds(500))
        #expect(c.connectionLimits.bodyTimeout == .seconds(4))
        #expect(c.connectionLimits.idleTimeout == .seconds(2))
        #expect(c.connectionLimits.maxConnections == 9)

        var flags = APISecurityFlags()
        flags.token = "from-flag"
        flags.maxQueue = 3
        try c.applySecurity(flags, environment: ["API_TOKEN": "from-env", "MAX_QUEUE": "7"])
        #expect(c.access.token == "from-flag")
        #expect(c.maxQueue == 3)

        for env in [
            ["API_TOKEN": ""], ["API_TOKEN": "has space"], ["API_TOKEN_FILE": "/no/such/file"],
            ["API_ALLOW_ORIGINS": "evil.example"], ["MAX_QUEUE": "0"], ["API_HEADER_TIMEOUT": "soon"],
        ] {
            #expect(throws: APISettingError.self, "\(env)") { try c.applySecurity(APISecurityFlags(), environment: env) }
        }
    }

    @Test func theWarningSaysWhatIsExposedWhenBindingBeyondLoopbackWithoutAToken() {
        var c = APIConfiguration(host: "0.0.0.0", port: 8000)
        let warning = DeeperAPIServer.exposureWarning(c)
        #expect(warning?.contains("0.0.0.0:8000 without API_TOKEN") == true)
        #expect(warning?.contains("POST /api/prints") == true)
        c.access = APIAccess(token: "t")
        #expect(DeeperAPIServer.exposureWarning(c) == nil)
        #expect(DeeperAPIServer.exposureWarning(APIConfiguration(host: "127.0.0.1")) == nil)
        #expect(DeeperAPIServer.exposureWarning(APIConfiguration(host: "localhost")) == nil)
    }
}
