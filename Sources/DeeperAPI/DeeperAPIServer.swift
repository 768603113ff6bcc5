import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The HTTP API of SYSTEM.md: a thin adapter over Redis that never computes.
///
/// Every Redis call, and the parsing of large bodies, runs on a small thread pool of its own
/// (``APIConfiguration/blockingThreads``), so neither the event loops nor the cooperative pool
/// ever wait on a socket to Redis. Job status events reach WebSocket clients from one subscriber
/// connection on a thread of its own.
///
/// ```swift
/// let server = DeeperAPIServer(configuration: APIConfiguration(port: 8000), logger: logger)
/// try await server.makeApplication().runService()
/// ```
public struct DeeperAPIServer: Sendable {
    public let configuration: APIConfiguration
    let logger: Logger
    let pool: BlockingRedisPool
    let hub = JobEventHub()
    let metrics = APIMetrics()
    let subscriber: JobEventSubscriber
    let relay: LiveUpdateRelay
    let workers = LiveWorkers()
    let connections = ConnectionCounter()

    public init(configuration: APIConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.pool = BlockingRedisPool(configuration: configuration.requestRedis, threads: configuration.blockingThreads)
        self.relay = LiveUpdateRelay(pool: pool, hub: hub, metrics: metrics, logger: logger)
        self.subscriber = JobEventSubscriber(
            configuration: configuration.requestRedis, hub: hub, relay: relay, metrics: metrics, logger: logger)
    }

    /// The application: the routes, the WebSocket upgrade, the event subscriber and the thread
    /// pool's lifetime. Run it with `runService()` or in a `ServiceGroup`, once: stopping it
    /// stops this server's pool and subscriber for good.
    public func makeApplication() -> some ApplicationProtocol {
        var access = configuration.access
        access.loopbackHostsOnly = access.token == nil && Self.isLoopback(configuration.host)
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.middlewares.add(AccessLogMiddleware(logger: logger, metrics: metrics))
        // A method a path does not serve is refused before the body is judged (415) or the
        // token asked for: the route table is public (openapi.yaml), nothing runs.
        router.middlewares.add(MethodNotAllowedMiddleware())
        router.middlewares.add(APIAccessMiddleware(access: access))
        addRoutes(to: router)

        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.middlewares.add(AccessLogMiddleware(logger: logger, metrics: metrics))
        // The ConnectionGuard checks the upgrade first (so a refusal is a 401/403); this
        // holds even if a request got past it.
        webSocketRouter.middlewares.add(APIAccessMiddleware(access: access))
        webSocketRouter.ws("/ws") { [hub] inbound, outbound, context in
            let live = Self.wantsLive(context.request.uri.query)
            try await Self.streamEvents(from: hub, live: live, inbound: inbound, outbound: outbound)
        }

        let logger = self.logger
        let host = configuration.host
        if let warning = Self.exposureWarning(configuration) { logger.warning("\(warning)") }
        let webSocketResponder = webSocketRouter.buildResponder()
        let (limits, counter, guardAccess) = (configuration.connectionLimits, connections, access)
        // Hummingbird's HTTP/1 + WebSocket channel, with the guard in front of its decoder.
        let server = HTTPServerBuilder { responder in
            GuardedServerChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: .init()),
                limits: limits, access: guardAccess, counter: counter)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "deeper"),
            // The pool first: the group stops services in reverse, so it stops last.
            services: [BlockingPoolService(pool: pool), subscriber, relay],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("Deeper API listening on http://\(host):\(port)")
            },
            logger: logger
        )
    }

    /// What the start-up log says when the server listens beyond loopback without a token.
    static func exposureWarning(_ c: APIConfiguration) -> String? {
        guard c.access.token == nil, !isLoopback(c.host) else { return nil }
        return "Listening on \(c.host):\(c.port) without API_TOKEN: anyone who can reach this address can queue jobs "
            + "(POST /api/deeper-analysis/compute), add prints to the stream (POST /api/prints), read every job's "
            + "status and result, the live results and the job events (/ws). Set API_TOKEN (or API_TOKEN_FILE), "
            + "or bind 127.0.0.1 behind a reverse proxy."
    }

    /// `127.0.0.1`, `::1`, `localhost` and the rest of 127/8.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }

    // MARK: - Routes

    func addRoutes(to router: Router<BasicWebSocketRequestContext>) {
        router.get("/") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: IndexPage.html)))
        }
        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.yaml)))
        }
        router.post("/api/deeper-analysis/compute") { request, _ in try await compute(request) }
        router.get("/api/deeper-analysis/status/{job_id}") { _, context in
            try await status(context.parameters.get("job_id") ?? "")
        }
        router.get("/api/deeper-analysis/result/{job_id}") { _, context in
            try await result(context.parameters.get("job_id") ?? "")
        }
        router.get("/api/deeper-analysis/live") { _, _ in try await live() }
        router.get("/api/deeper-analysis/live/{symbol}") { _, context in
            // Symbols hold spaces (`AHL PRF`): the router leaves `%20` in the parameter.
            let raw = context.parameters.get("symbol") ?? ""
            return try await liveSymbol(raw.removingPercentEncoding ?? raw)
        }
        router.post("/api/prints") { request, _ in try await ingest(request) }
        router.get("/health") { _, _ in try await health() }
        router.get("/metrics") { _, _ in try await scrape() }
        router.get("/ws") { _, _ in
            APIResponse.failure(.init(code: 426, reasonPhrase: "Upgrade Required"), "GET /ws is a WebSocket: upgrade the connection")
        }
    }

    // MARK: - Compute

    func compute(_ request: Request) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.maxComputeBodyBytes)
        } catch {
            return APIResponse.tooLarge(error, limit: configuration.maxComputeBodyBytes)
        }
        let isBlank = body.readableBytesView.allSatisfy(JSONText.isSpace)
        if !isBlank && request.headers[.contentType] == nil {
            return APIResponse.failure(.unsupportedMediaType, APIAccess.computeMediaTypeReason)
        }
        let now = WallClock.now()
        let job: JobRequest
        switch ComputeBody.parse(Array(buffer: body), jobID: JobQueue.newJobID(), now: now) {
        case .success(let parsed): job = parsed
        case .failure(let problem): return APIResponse.failure(.badRequest, problem.reason)
        }
        let maxQueue = configuration.maxQueue
        let outcome: CappedEnqueue
        do {
            outcome = try await pool.withConnection { (c) throws(RedisError) in
                try JobQueue.enqueue(c, job, at: now, maxQueue: maxQueue)
            }
        } catch {
            return APIResponse.unavailable(error)
        }
        if case .full(let length) = outcome {
            var response = APIResponse.failure(
                .tooManyRequests,
                "queue full: \(length) jobs are waiting (MAX_QUEUE \(maxQueue)); nothing was queued, retry later",
                extra: ["queue_length": String(length)])
            response.headers[.retryAfter] = String(configuration.retryAfterSeconds)
            return response
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("success")
        w.bool(true)
        w.field("job_id", job.jobID)
        w.field("status", JobState.queued.rawValue)
        w.field("message", "Job queued")
        w.endObject()
        return APIResponse.json(w.text)
    }

    // MARK: - Status and result

    func status(_ jobID: String) async throws -> Response {
        // An id `JobRequest.parse` would refuse cannot exist.
        guard JobRequest.isValidJobID(jobID) else { return APIResponse.notFound(jobID) }
        let reply: RedisReply
        do {
            reply = try await pool.withConnection { (c) throws(RedisError) in try c.command(["GET", RedisKeys.status(jobID)]) }
        } catch {
            return APIResponse.unavailable(error)
        }
        guard case .bulk(let status) = reply else { return APIResponse.notFound(jobID) }
        guard let merged = Self.prefixing(status, with: ["success": "true", "job_id": JSONText.string(jobID)]) else {
            return APIResponse.failure(.internalServerError, "status of job \(jobID) is not a JSON object")
        }
        return APIResponse.json(bytes: merged)
    }

    func result(_ jobID: String) async throws -> Response {
        // An id `JobRequest.parse` would refuse cannot exist.
        guard JobRequest.isValidJobID(jobID) else { return APIResponse.notFound(jobID) }
        let replies: [RedisReply]
        do {
            // Both keys in one round trip: the status is needed whenever the result is not there.
            // An error reply (NOAUTH) is an outage, never "no such job".
            replies = try await pool.withConnection { (c) throws(RedisError) in
                try Self.checked(c.pipeline([["GET", RedisKeys.result(jobID)], ["GET", RedisKeys.status(jobID)]]))
            }
        } catch {
            return APIResponse.unavailable(error)
        }
        if case .bulk(let result) = replies[0] { return APIResponse.json(bytes: result) }
        guard case .bulk(let statusBytes) = replies[1], let status = JobStatusMessage.decode(statusBytes) else {
            return APIResponse.notFound(jobID)
        }
        if status.state == .completed {
            return APIResponse.failure(.notFound, "Result of job \(jobID) has expired")
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("success")
        w.bool(false)
        w.field("job_id", jobID)
        w.field("status", status.status)
        w.field("message", status.message)
        if let error = status.error { w.field("error", error) }
        w.endObject()
        return APIResponse.json(w.text)
    }

    /// `{"a":…}` with `fields` inserted first, without parsing the object: the status route is
    /// the hot path of polling clients, and the stored status is already JSON. `nil` when the
    /// bytes do not start like an object.
    static func prefixing(_ object: [UInt8], with fields: KeyValuePairs<String, String>) -> [UInt8]? {
        var start = 0
        while start < object.count, JSONText.isSpace(object[start]) {
            start += 1
        }
        guard start < object.count, object[start] == UInt8(ascii: "{") else { return nil }
        var rest = start + 1
        while rest < object.count, JSONText.isSpace(object[rest]) {
            rest += 1
        }
        let isEmpty = rest < object.count && object[rest] == UInt8(ascii: "}")
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(object.count + 64)
        for (k, (key, value)) in fields.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: JSONText.string(key).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.utf8)
        }
        if !isEmpty { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: object[rest...])
        return out
    }

    // MARK: - Prints

    func ingest(_ request: Request) async throws -> Response {
        let format: PrintsFormat
        switch PrintsFormat(contentType: request.headers[.contentType]) {
        case .some(let f): format = f
        case .none:
            return APIResponse.failure(
                .unsupportedMediaType, "Content-Type: expected application/json (an array of prints) or text/csv")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxPrintsBodyBytes)
        } catch {
            return APIResponse.tooLarge(error, limit: configuration.maxPrintsBodyBytes)
        }
        let limit = configuration.futureTolerance.limit(now: WallClock.now())
        let parsed: Result<PrintsBody, PrintsBody.BodyError> = try await pool.run {
            buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(PrintsBody.BodyError) in try format.parse(bytes, notAfter: limit) }
            }
        }
        let body: PrintsBody
        switch parsed {
        case .success(let b): body = b
        case .failure(let error): return APIResponse.failure(.badRequest, "body: \(error)")
        }

        let outcome: FeedOutcome
        do {
            outcome = try await pool.withConnection { (c) throws(RedisError) -> FeedOutcome in
                Self.append(body, to: c)
            }
        } catch {
            return APIResponse.unavailable(error, extra: ["accepted": "0"])
        }
        if let error = outcome.error {
            return APIResponse.unavailable(error, extra: ["accepted": String(outcome.added)])
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("success")
        w.bool(true)
        w.field("accepted", outcome.added)
        w.key("rejected")
        w.beginArray()
        for r in body.rejected {
            w.beginObject()
            w.field("line", r.line)
            w.field("reason", r.reason)
            w.endObject()
        }
        w.endArray()
        w.field("rejected_count", body.rejectedCount)
        w.endObject()
        return APIResponse.json(w.text)
    }

    /// How far an append got.
    struct FeedOutcome: Sendable {
        var added = 0
        var error: RedisError?
    }

    /// Appends in `Feed.batchSize` pipelines; on a failure, says how many got in before it.
    static func append(_ body: PrintsBody, to c: RedisConnection) -> FeedOutcome {
        var outcome = FeedOutcome()
        let retention = Feed.retentionStartMilliseconds(calendar: AnalysisParameters().calendar, now: WallClock.now())
        var start = 0
        while start < body.prints.count {
            let end = min(body.prints.count, start + Feed.batchSize)
            do {
                outcome.added += try Feed.append(
                    c, prints: body.prints[start..<end], symbols: body.symbols.names, venues: body.venues.names,
                    retentionStartMilliseconds: retention)
            } catch {
                outcome.error = error
                return outcome
            }
            start = end
        }
        return outcome
    }

    // MARK: - Health and metrics

    /// What `/health` and `/metrics` read from Redis.
    struct Vitals: Sendable {
        var queueLength: Int
        var workers: [String]
    }

    func vitals() async throws -> Vitals {
        try await pool.withConnection { [workers] (c) throws(RedisError) -> Vitals in
            let replies = try c.pipeline([["PING"], ["LLEN", RedisKeys.jobs]])
            if case .error(let e) = replies[0] { throw .server(e) }
            return Vitals(queueLength: Int(replies[1].int ?? 0), workers: try workers.names(c))
        }
    }

    func health() async throws -> Response {
        let events = subscriber.isSubscribed ? "subscribed" : "reconnecting"
        let clients = hub.listenerCount
        do {
            let v = try await vitals()
            var w = JSONWriter()
            w.beginObject()
            w.field("status", "ok")
            w.field("redis", "reachable")
            w.field("queue_length", v.queueLength)
            w.field("live_workers", v.workers.count)
            w.key("workers")
            w.beginArray()
            for name in v.workers { w.string(name) }
            w.endArray()
            w.field("events", events)
            w.field("websocket_clients", clients)
            w.endObject()
            return APIResponse.json(w.text)
        } catch {
            var w = JSONWriter()
            w.beginObject()
            w.field("status", "unavailable")
            w.field("redis", "unreachable")
            w.field("error", APIResponse.unavailableMessage(error))
            w.field("events", events)
            w.field("websocket_clients", clients)
            w.endObject()
            return APIResponse.json(w.text, status: .serviceUnavailable)
        }
    }

    func scrape() async throws -> Response {
        let v = try? await vitals()
        metrics.recordScrape(webSocketClients: hub.listenerCount, liveWebSocketClients: hub.liveListenerCount)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = metrics.prometheusText(
            redisUp: v != nil, queueLength: v?.queueLength, workers: v?.workers.count,
            openConnections: connections.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }

    // MARK: - WebSocket

    /// Writes every job event to the socket as a text message, and with `live` the live
    /// updates too, until the client closes it or the server stops (the hub ends the streams).
    static func streamEvents(
        from hub: JobEventHub, live: Bool, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let (id, events) = hub.addListener()
        defer { hub.removeListener(id) }
        let mailbox = live ? hub.addLiveMailbox(for: id) : nil
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Clients send nothing we need; reading notices their close.
                for try await _ in inbound {}
            }
            group.addTask {
                for await event in events { try await outbound.writeTextMessage(event) }
            }
            if let mailbox {
                group.addTask {
                    for await _ in mailbox.arrivals {
                        // Split into frames of the configured size: a full refresh is megabytes.
                        for message in LiveMailbox.messages(mailbox.take()) { try await outbound.writeTextMessage(message) }
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Whether a `/ws` query asks for live updates (`live=1` or `live=true`). Off by default:
    /// clients written for job events keep getting job events only.
    static func wantsLive(_ query: String?) -> Bool {
        guard let query else { return false }
        return query.split(separator: "&").contains { $0 == "live=1" || $0 == "live=true" || $0 == "live" }
    }
}

// MARK: - Live workers

/// Names of the workers whose heartbeat key is live, read with `SCAN` at most once a second:
/// a scan walks the whole keyspace, and health checks may come many times a second.
final class LiveWorkers: Sendable {
    private let cache = Mutex<(at: ContinuousClock.Instant, names: [String])?>(nil)
    static let maxAge: Duration = .seconds(1)

    func names(_ c: RedisConnection) throws(RedisError) -> [String] {
        if let cached = cache.withLock({ $0 }), cached.at.duration(to: .now) < Self.maxAge { return cached.names }
        var names: [String] = []
        try c.scan(match: RedisKeys.heartbeatPrefix + "*") { key in
            names.append(String(key.dropFirst(RedisKeys.heartbeatPrefix.count)))
        }
        names = Set(names).sorted()  // SCAN may visit a key twice.
        cache.withLock { $0 = (.now, names) }
        return names
    }
}
