import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization

@testable import DeeperAPI

/// A private redis-server, a client connection to it, and API servers pointed at it.
final class APIHarness: Sendable {
    let redisServer: RedisTestServer
    let redis: RedisConnection
    let log = CapturedLog()

    init() throws {
        redisServer = try RedisTestServer()
        redis = try RedisConnection(RedisConfiguration(port: redisServer.port, commandTimeout: .seconds(10)))
    }

    var redisPortArguments: [String] { ["--redis-port", String(redisServer.port)] }

    /// An API server on a free port, talking to this harness's Redis, logging into `log`.
    func api(_ adjust: (inout APIConfiguration) -> Void = { _ in }) -> DeeperAPIServer {
        var c = APIConfiguration(
            port: 0, redis: RedisConfiguration(port: redisServer.port), redisConnectTimeout: .milliseconds(500),
            blockingThreads: 2)
        adjust(&c)
        return DeeperAPIServer(configuration: c, logger: log.logger)
    }

    func get(_ key: String) throws -> String? { try redis.command(["GET", key]).string }

    func listLength(_ key: String) throws -> Int64 { try redis.command(["LLEN", key]).int ?? -1 }

    /// Replays the committed sample and its universe through the real commands.
    func loadSample() throws {
        let replay = try DeeperProcess.run(
            ["replay", DeeperProcess.path("fixtures/sample-prints.csv")] + redisPortArguments)
        guard replay.status == 0 else { throw SupportError("replay failed: \(replay.stderr)") }
        try loadUniverse()
    }

    func loadUniverse() throws {
        let universe = try DeeperProcess.run(
            ["load-universe", DeeperProcess.path("fixtures/sample-universe.csv")] + redisPortArguments)
        guard universe.status == 0 else { throw SupportError("load-universe failed: \(universe.stderr)") }
    }

    /// Starts `deeper worker` named `name` (with `extra` arguments) and waits until it says it started.
    func startWorker(_ name: String, _ extra: [String] = []) throws -> DeeperProcess {
        try DeeperProcess.startWorker(name, redisPort: redisServer.port, extra)
    }
}

/// Log lines kept in memory, for tests that read the access log.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "deeper.api.test") { _ in CapturingHandler(log: self) }
        logger.logLevel = .info
        return logger
    }

    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = "\(event.level) \(event.message)"
            log.lines.withLock { $0.append(line) }
        }
    }
}

// MARK: - Requests and replies

extension TestClientProtocol {
    /// POSTs `body` with `contentType`.
    func post(_ uri: String, _ body: String, contentType: String? = "application/json") async throws -> TestResponse {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func get(_ uri: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .get)
    }
}

extension TestResponse {
    /// The body parsed as a JSON object (empty when it is not one).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }

    var contentType: String? { headers[.contentType] }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes, without blocking a thread
/// of the cooperative pool (the server under test runs there too).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
