import DeeperRedis
import DeeperTestSupport
import DeeperQueue
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `deeper serve` as a process, spoken to over raw sockets: the token and origins on the wire,
/// the WebSocket upgrade, every malformed request, the timeouts, the connection cap, the queue
/// cap, and a refused Redis password at start.
@Suite(.serialized) struct WireSecurityTests {
    static let token = "wire-token-0123456789"

    static func get(_ path: String, port: Int, headers: [String] = []) -> String {
        (["GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close"] + headers).joined(separator: "\r\n")
            + "\r\n\r\n"
    }

    static func post(_ path: String, port: Int, body: String, type: String?, headers: [String] = []) -> String {
        let lines =
            ["POST \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close", "Content-Length: \(body.utf8.count)"]
            + (type.map { ["Content-Type: \($0)"] } ?? []) + headers
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    static func upgrade(_ target: String, port: Int, headers: [String] = []) -> String {
        ([
            "GET \(target) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ] + headers).joined(separator: "\r\n") + "\r\n\r\n"
    }

    static let printJSON = #"[{"symbol":"OFN","time":"2025-11-21T15:00:00Z","price":1,"size":100}]"#

    @Test func theTokenGuardsEveryRouteAndTheWebSocketOnTheWire() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h, ["--api-token", Self.token])
        defer { serve.process.signal(SIGKILL) }
        let port = serve.port
        let requests: [(String, [String]) -> String] = [
            { Self.post("/api/deeper-analysis/compute", port: port, body: "{}", type: "application/json", headers: $1) },
            { _, headers in Self.get("/api/deeper-analysis/status/x", port: port, headers: headers) },
            { _, headers in Self.get("/api/deeper-analysis/result/x", port: port, headers: headers) },
            { Self.post("/api/prints", port: port, body: Self.printJSON, type: "application/json", headers: $1) },
            { _, headers in Self.get("/api/deeper-analysis/live", port: port, headers: headers) },
        ]
        for request in requests {
            for (headers, expected) in [
                ([], 401), (["Authorization: Bearer nope"], 401), (["Authorization: Bearer \(Self.token)"], 0),
            ] as [([String], Int)] {
                let reply = try RawConnection.exchange(port: port, request("", headers))
                let status = try #require(reply.status, "\(reply)")
                if expected == 401 {
                    #expect(status == 401, "\(reply)")
                    #expect(reply.body.contains("token"), "\(reply)")
                } else {
                    #expect(status != 401 && status < 500, "\(reply)")
                }
            }
        }
        #expect(try h.listLength(RedisKeys.jobs) == 1)
        // The WebSocket: refused upgrades are a 401 or a 403 with a reason, then a close.
        let bare = try RawConnection.exchange(port: port, Self.upgrade("/ws", port: port))
        #expect(bare.status == 401 && bare.closed, "\(bare)")
        let wrong = try RawConnection.exchange(port: port, Self.upgrade("/ws?token=nope", port: port))
        #expect(wrong.status == 401, "\(wrong)")
        let foreign = try RawConnection.exchange(
            port: port, Self.upgrade("/ws?token=\(Self.token)", port: port, headers: ["Origin: http://evil.example"]))
        #expect(foreign.status == 403, "\(foreign)")
        for accepted in [
            Self.upgrade("/ws?token=\(Self.token)", port: port, headers: ["Origin: http://127.0.0.1:\(port)"]),
            Self.upgrade("/ws", port: port, headers: ["Authorization: Bearer \(Self.token)"]),
        ] {
            let c = try RawConnection(port: port)
            c.send(accepted)
            let reply = c.read(timeout: .milliseconds(1500))
            #expect(reply.status == 101, "\(reply)")
            #expect(!reply.closed)
        }
        // Open routes.
        for path in ["/health", "/metrics", "/"] {
            #expect(try RawConnection.exchange(port: port, Self.get(path, port: port)).status == 200, "\(path)")
        }
    }

    @Test func theAttackOfTheIssueIsRefusedAndSameOriginWritesStillWork() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h)
        defer { serve.process.signal(SIGKILL) }
        let port = serve.port
        let csv = "symbol,time,price,size\nEVIL,2025-11-21T15:00:00Z,1.00,100\n"
        let attack = try RawConnection.exchange(
            port: port, Self.post("/api/prints", port: port, body: csv, type: "text/plain", headers: ["Origin: http://evil.example"]))
        #expect(attack.status == 403, "\(attack)")
        let plain = try RawConnection.exchange(port: port, Self.post("/api/prints", port: port, body: csv, type: "text/plain"))
        #expect(plain.status == 415, "\(plain)")
        let form = try RawConnection.exchange(
            port: port, Self.post("/api/prints", port: port, body: csv, type: "application/x-www-form-urlencoded"))
        #expect(form.status == 415, "\(form)")
        let foreignJSON = try RawConnection.exchange(
            port: port,
            Self.post("/api/deeper-analysis/compute", port: port, body: "{}", type: "application/json", headers: ["Origin: http://evil.example"]))
        #expect(foreignJSON.status == 403, "\(foreignJSON)")
        // DNS rebinding: the attacker's own name resolved to 127.0.0.1 makes Origin and Host
        // agree; without a token the server answers only to loopback names.
        let rebound = try RawConnection.exchange(
            port: port,
            ("POST /api/prints HTTP/1.1\r\nHost: rebind.evil.example:\(port)\r\nOrigin: http://rebind.evil.example:\(port)\r\n"
                + "Content-Type: text/csv\r\nContent-Length: \(csv.utf8.count)\r\nConnection: close\r\n\r\n" + csv))
        #expect(rebound.status == 403, "\(rebound)")
        #expect(rebound.body.contains("is not this server"), "\(rebound)")
        #expect(try h.redis.command(["EXISTS", RedisKeys.prints]).int == 0)
        #expect(try h.listLength(RedisKeys.jobs) == 0)
        for host in ["localhost:\(port)", "[::1]:\(port)", "127.0.0.2"] {
            let reply = try RawConnection.exchange(
                port: port, "GET /api/deeper-analysis/status/x HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
            #expect(reply.status == 404, "\(host): \(reply)")
        }

        let own = try RawConnection.exchange(
            port: port,
            Self.post("/api/prints", port: port, body: csv, type: "text/csv", headers: ["Origin: http://127.0.0.1:\(port)"]))
        #expect(own.status == 200, "\(own)")
        #expect(try h.redis.command(["XLEN", RedisKeys.prints]).int == 1)
    }

    static let malformed: [(name: String, request: [UInt8], status: Int)] = [
        ("garbage request line", Array("hello there\r\n\r\n".utf8), 400),
        ("TLS hello on the HTTP port", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 0x0D, 0x0A, 0x0D, 0x0A], 400),
        ("HTTP/9.9", Array("GET /health HTTP/9.9\r\nHost: x\r\n\r\n".utf8), 400),
        ("Content-Length abc", Array("POST /api/prints HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".utf8), 400),
        ("Content-Length -1", Array("POST /api/prints HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".utf8), 400),
        ("two Content-Lengths", Array("POST /api/prints HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8), 400),
        ("a 100 kB header", Array("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n".utf8), 431),
        ("raw non-ASCII in the path", Array("GET /h".utf8) + [0xC3, 0xA9, 0xFF] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 400),
        ("a 10 kB target", Array("GET /\(String(repeating: "a", count: 10_000)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 414),
        ("a header without a colon", Array("GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n".utf8), 400),
        ("a transfer coding other than chunked", Array("POST /api/prints HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".utf8), 400),
        ("chunked and a Content-Length", Array("POST /api/prints HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n".utf8), 400),
        ("a NUL in a header", Array("GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n".utf8), 400),
    ]

    @Test func everyMalformedRequestGetsAnAnswerAndAClose() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h)
        defer { serve.process.signal(SIGKILL) }
        for (name, request, status) in Self.malformed {
            let start = ContinuousClock.now
            let reply = try RawConnection.exchange(port: serve.port, request, timeout: .seconds(5))
            #expect(reply.status == status, "\(name): \(reply)")
            #expect(reply.closed, "\(name): still open")
            #expect(start.duration(to: .now) < .seconds(2), "\(name)")
            #expect(reply.header("Connection") == "close", "\(name)")
            #expect(reply.body.hasPrefix(#"{"success":false,"error":"#), "\(name): \(reply)")
        }
        // A good request after a good one on one connection (the guard finds the second head).
        let c = try RawConnection(port: serve.port)
        c.send(
            "POST /api/deeper-analysis/compute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                + Self.get("/health", port: serve.port))
        let both = c.read(timeout: .seconds(5))
        #expect(both.text.components(separatedBy: "HTTP/1.1 200").count == 3, "\(both)")
        #expect(both.closed)
        // A malformed chunk: the head has gone on and its answer is pending, so a close.
        let badChunk = try RawConnection.exchange(
            port: serve.port,
            "POST /api/prints HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        #expect(badChunk.closed, "\(badChunk)")

        // A chunked body (with an extension and a trailer), then the next request.
        let chunked = try RawConnection(port: serve.port)
        let json = Self.printJSON
        let half = json.utf8.count / 2
        chunked.send(
            "POST /api/prints HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(half, radix: 16) + ";x=1\r\n" + String(json.prefix(half)) + "\r\n"
                + String(json.utf8.count - half, radix: 16) + "\r\n" + String(json.dropFirst(half)) + "\r\n"
                + "0\r\nX-Trailer: 1\r\n\r\n" + Self.get("/health", port: serve.port))
        let chunkedReply = chunked.read(timeout: .seconds(5))
        #expect(chunkedReply.text.contains(#""accepted":1"#), "\(chunkedReply)")
        #expect(chunkedReply.text.components(separatedBy: "HTTP/1.1 200").count == 3, "\(chunkedReply)")

        // Another upgrade than WebSocket is plain HTTP: the next request is still checked.
        let h2c = try RawConnection(port: serve.port)
        h2c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        let first = h2c.read(timeout: .milliseconds(500))
        #expect(first.status == 200 && !first.closed, "\(first)")
        h2c.send("GET / HTTP/9.9\r\nHost: x\r\n\r\n")
        let second = h2c.read(timeout: .seconds(5))
        #expect(second.status == 400 && second.closed, "\(second)")
        // Garbage pipelined behind a request still being answered: the connection closes
        // (writing the 400 then could land inside that answer).
        let piped = try RawConnection.exchange(port: serve.port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\nnonsense\r\n\r\n")
        #expect(piped.closed, "\(piped)")
        #expect(serve.process.isRunning)
    }

    @Test func aHalfSentHeadIsAnswered408AfterTheHeaderTimeoutAndAnIdleConnectionClosed() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h, ["--header-timeout", "1", "--idle-timeout", "1.5"])
        defer { serve.process.signal(SIGKILL) }
        let slow = try RawConnection(port: serve.port)
        let start = ContinuousClock.now
        slow.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        let reply = slow.read(timeout: .seconds(5))
        let took = start.duration(to: .now)
        #expect(reply.status == 408, "\(reply)")
        #expect(reply.closed)
        #expect(took >= .milliseconds(900) && took < .seconds(3), "\(took)")

        // Silent after connecting, or after an answer on a kept-alive connection: closed.
        let silent = try RawConnection(port: serve.port)
        let quiet = silent.read(timeout: .seconds(5))
        #expect(quiet.closed && quiet.bytes.isEmpty, "\(quiet)")
        let kept = try RawConnection(port: serve.port)
        kept.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let answered = kept.read(timeout: .seconds(5))
        #expect(answered.status == 200 && answered.closed, "\(answered)")
    }

    /// A body trickled a byte every 300 ms is never idle for the idle timeout, so only the body
    /// timeout ends it: with the head passed on and no answer begun, the connection closes.
    @Test func aTrickledBodyIsCutOffAtTheBodyTimeout() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h, ["--body-timeout", "1.5", "--idle-timeout", "1"])
        defer { serve.process.signal(SIGKILL) }
        for (name, head) in [
            ("Content-Length", "Content-Length: 1000\r\n"), ("chunked", "Transfer-Encoding: chunked\r\n\r\n3e8"),
        ] {
            let slow = try RawConnection(port: serve.port)
            let start = ContinuousClock.now
            slow.send("POST /api/prints HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n\(head)\r\n")
            var closedAfter: Duration?
            for _ in 0..<20 {
                usleep(300_000)
                slow.send("x")
                if slow.read(timeout: .milliseconds(1)).closed {
                    closedAfter = start.duration(to: .now)
                    break
                }
            }
            let took = try #require(closedAfter, "\(name): still open after 6 s of trickling")
            #expect(took >= .milliseconds(1400) && took < .seconds(4), "\(name): \(took)")
        }
        #expect(try RawConnection.exchange(port: serve.port, Self.get("/health", port: serve.port)).status == 200)
        #expect(serve.process.isRunning)
    }

    @Test func connectionsOverTheCapGet503AndDescriptorsAndMemoryComeBack() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h, ["--max-connections", "300", "--header-timeout", "60"])
        defer { serve.process.signal(SIGKILL) }
        let pid = serve.process.child.pid
        #expect(try RawConnection.exchange(port: serve.port, Self.get("/health", port: serve.port)).status == 200)
        let descriptors = ProcessUsage.descriptors(pid)
        let memory = ProcessUsage.residentKiB(pid)

        for round in 0..<3 {
            var held: [RawConnection] = []
            for _ in 0..<300 {
                let c = try RawConnection(port: serve.port)
                c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Half: ")
                held.append(c)
            }
            // The kernel completes handshakes beyond the listen backlog before the server
            // accepts them: wait until it holds all 300, so the next one is the 301st.
            // (Within two: a descriptor of the start-up may have closed meanwhile.)
            #expect(waitUntil(timeout: .seconds(10)) { ProcessUsage.descriptors(pid) >= descriptors + 298 },
                "\(ProcessUsage.descriptors(pid)) descriptors, \(descriptors) before")
            usleep(300_000)
            let over = try RawConnection.exchange(port: serve.port, Self.get("/health", port: serve.port))
            #expect(over.status == 503 && over.closed, "round \(round): \(over)")
            #expect(over.body.contains("too many open connections"))
            held.removeAll()  // closes them
            #expect(waitUntil(timeout: .seconds(10)) { ProcessUsage.descriptors(pid) <= descriptors + 2 },
                "round \(round): \(ProcessUsage.descriptors(pid)) descriptors, \(descriptors) before")
            #expect(try RawConnection.exchange(port: serve.port, Self.get("/health", port: serve.port)).status == 200)
        }
        let after = ProcessUsage.residentKiB(pid)
        print("deeper serve resident memory: \(memory) KiB before, \(after) KiB after 3 × 300 held connections")
        #expect(after - memory < 16 * 1024, "\(memory) KiB before, \(after) KiB after")
    }

    @Test func beyondMaxQueueComputeIs429OnTheWire() throws {
        let h = try APIHarness()
        let serve = try ServeProcess(h, [], environment: ["MAX_QUEUE": "2"])
        defer { serve.process.signal(SIGKILL) }
        let compute = Self.post("/api/deeper-analysis/compute", port: serve.port, body: "{}", type: "application/json")
        #expect(try RawConnection.exchange(port: serve.port, compute).status == 200)
        #expect(try RawConnection.exchange(port: serve.port, compute).status == 200)
        let full = try RawConnection.exchange(port: serve.port, compute)
        #expect(full.status == 429, "\(full)")
        #expect(full.header("Retry-After") == "5")
        #expect(try h.listLength(RedisKeys.jobs) == 2)
    }

    @Test func aRefusedRedisPasswordStopsServeAndWorkerAtStartWithExit78() throws {
        let redis = try RedisTestServer(password: "right")
        let port = ["--redis-port", String(redis.port)]
        for (auth, expected) in [([], "NOAUTH"), (["--redis-password", "wrong"], "WRONGPASS")] as [([String], String)] {
            let serve = try DeeperProcess.run(["serve", "--port", "0"] + port + auth)
            #expect(serve.status == 78, "\(serve.stderr)")
            #expect(serve.stderr.contains(expected), "\(serve.stderr)")
            let worker = try DeeperProcess.run(["worker", "--name", "w"] + port + auth)
            #expect(worker.status == 78, "\(worker.stderr)")
            #expect(worker.stderr.contains(expected), "\(worker.stderr)")
        }

        // The right password from a file (kept out of ps) and the token from a file.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "right\n".write(to: dir.appendingPathComponent("redis"), atomically: true, encoding: .utf8)
        try "\(Self.token)\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let serve = try DeeperProcess(
            ["serve", "--port", "0"] + port,
            environment: [
                "REDIS_PASSWORD_FILE": dir.appendingPathComponent("redis").path,
                "API_TOKEN_FILE": dir.appendingPathComponent("token").path,
            ])
        defer { serve.signal(SIGKILL) }
        let marker = "Deeper API listening on http://127.0.0.1:"
        #expect(serve.waitForLog(marker), "\(serve.log)")
        let apiPort = try #require(serve.log.range(of: marker).flatMap { Int(serve.log[$0.upperBound...].prefix(while: \.isNumber)) })
        let ok = try RawConnection.exchange(
            port: apiPort,
            Self.post("/api/deeper-analysis/compute", port: apiPort, body: "{}", type: "application/json", headers: ["Authorization: Bearer \(Self.token)"]))
        #expect(ok.status == 200, "\(ok)")

        // Redis away at start is an outage, not a setting: the server starts and answers 503.
        redis.stop()
        let away = try DeeperProcess(["serve", "--port", "0"] + port)
        defer { away.signal(SIGKILL) }
        #expect(away.waitForLog(marker), "\(away.log)")
    }
}
