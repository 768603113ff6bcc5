import ArgumentParser
import DeeperAPI
import DeeperCLI
import DeeperData
import Foundation
import Logging
import ServiceLifecycle

/// `deeper-api`, also run as `deeper serve`: the HTTP stack lives in this executable alone.
@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deeper-api",
        abstract: "Serve the HTTP API and the Deeper Analysis page (a thin adapter over Redis).",
        discussion: """
            Routes: POST /api/deeper-analysis/compute, GET /api/deeper-analysis/status/ID,
            GET /api/deeper-analysis/result/ID, POST /api/prints, GET /health,
            GET /metrics, GET /ws (job events), GET / (the page), GET /openapi.yaml
            (the API's contract). The server never
            computes: run `deeper worker` beside it. SIGINT/SIGTERM answer the
            requests in flight, then exit 0.

            Environment (flags override): API_HOST (127.0.0.1), API_PORT (8000),
            API_TOKEN / API_TOKEN_FILE (none: /api and /ws need no token),
            API_ALLOW_ORIGINS (none besides the server's own), MAX_QUEUE (1000),
            API_HEADER_TIMEOUT (10 s), API_BODY_TIMEOUT (60 s), API_IDLE_TIMEOUT (30 s),
            API_MAX_CONNECTIONS (512),
            REDIS_HOST, REDIS_PORT, REDIS_PASSWORD / REDIS_PASSWORD_FILE, REDIS_DB,
            MAX_FUTURE (300 s: POST /api/prints refuses prints stamped further ahead of
            the clock). A wrong or missing Redis password stops the server at start
            (exit 78); an unreachable Redis does not (requests get 503 until it is back).

            Examples:
              deeper serve --port 8000   (runs deeper-api beside deeper)
              deeper-api --port 8000
            """
    )

    @Option(help: "Address to listen on (default $API_HOST, else 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (default $API_PORT, else 8000).")
    var port: Int?

    @Option(name: .customLong("blocking-threads"), help: "Threads for Redis calls and body parsing.")
    var blockingThreads: Int = 4

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info (default: one access log line per request), notice, warning, error.")
    var logLevel: String = "info"

    @Option(name: .customLong("api-token"), help: "Bearer token /api and /ws require (default $API_TOKEN; shows in ps: prefer API_TOKEN_FILE).")
    var apiToken: String?

    @Option(name: .customLong("api-token-file"), help: ArgumentHelp("File holding the token (default $API_TOKEN_FILE).", valueName: "FILE"))
    var apiTokenFile: String?

    @Option(name: .customLong("allow-origin"), help: ArgumentHelp("An origin (https://host:port) allowed besides the server's own; repeatable (default $API_ALLOW_ORIGINS, comma-separated).", valueName: "ORIGIN"))
    var allowOrigins: [String] = []

    @Option(name: .customLong("max-queue"), help: "Compute answers 429 while this many jobs wait (default $MAX_QUEUE, else 1000).")
    var maxQueue: Int?

    @Option(name: .customLong("header-timeout"), help: ArgumentHelp("Seconds a request's head may take to arrive (default $API_HEADER_TIMEOUT, else 10).", valueName: "SECONDS"))
    var headerTimeout: Double?

    @Option(name: .customLong("body-timeout"), help: ArgumentHelp("Seconds a request's body may take to arrive once its head has (default $API_BODY_TIMEOUT, else 60).", valueName: "SECONDS"))
    var bodyTimeout: Double?

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds an idle connection stays open (default $API_IDLE_TIMEOUT, else 30).", valueName: "SECONDS"))
    var idleTimeout: Double?

    @Option(name: .customLong("max-connections"), help: "Open connections at most (default $API_MAX_CONNECTIONS, else 512).")
    var maxConnections: Int?

    @OptionGroup var redis: RedisOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        if blockingThreads < 1 { throw ValidationError("--blocking-threads must be at least 1") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level: \"\(logLevel)\" is not a log level") }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var c = APIConfiguration(redis: try redis.configuration(), blockingThreads: blockingThreads)
        c.host = host ?? env["API_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        if let port {
            c.port = port
        } else if let text = env["API_PORT"] {
            guard let p = Int(text), (0...65535).contains(p) else {
                throw ValidationError("API_PORT=\"\(text)\" is not a port in 0...65535")
            }
            c.port = p
        }
        do {
            c.futureTolerance = try FutureTolerance.fromEnvironment(env)
        } catch {
            throw ValidationError("\(error)")
        }
        var security = APISecurityFlags()
        (security.token, security.tokenFile, security.allowOrigins) = (apiToken, apiTokenFile, allowOrigins)
        (security.maxQueue, security.maxConnections) = (maxQueue, maxConnections)
        (security.headerTimeoutSeconds, security.bodyTimeoutSeconds, security.idleTimeoutSeconds) = (headerTimeout, bodyTimeout, idleTimeout)
        do {
            try c.applySecurity(security, environment: env)
        } catch {
            throw ValidationError("\(error)")
        }
        // A wrong password is a setting to fix, not an outage to wait out.
        try redis.refuseWrongPassword(c.redis)

        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "deeper.api")
        let app = DeeperAPIServer(configuration: c, logger: logger).makeApplication()
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
