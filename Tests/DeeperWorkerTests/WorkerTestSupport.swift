import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import DeeperWorker
import Foundation

/// A private Redis plus the helpers every worker test needs.
final class WorkerHarness: Sendable {
    let server: RedisTestServer
    let redis: RedisConnection

    init() throws {
        server = try RedisTestServer()
        redis = try RedisConnection(RedisConfiguration(port: server.port))
    }

    /// A harness over a server the test started itself (with a password, AOF, …).
    init(server: RedisTestServer, redis: RedisConnection) {
        self.server = server
        self.redis = redis
    }

    var portArguments: [String] { ["--redis-port", String(server.port)] }

    /// Starts `deeper worker` named `name` and waits until it says it started.
    func startWorker(_ name: String, computePriority: String? = "normal", _ extra: [String] = []) throws -> DeeperProcess {
        try DeeperProcess.startWorker(name, redisPort: server.port, computePriority: computePriority, extra)
    }

    /// Replays the committed sample and its universe through the real commands.
    func loadSample() throws {
        let replay = try DeeperProcess.run(["replay", DeeperProcess.path("fixtures/sample-prints.csv")] + portArguments)
        guard replay.status == 0 else { throw SupportError("replay failed: \(replay.stderr)") }
        let universe = try DeeperProcess.run(["load-universe", DeeperProcess.path("fixtures/sample-universe.csv")] + portArguments)
        guard universe.status == 0 else { throw SupportError("load-universe failed: \(universe.stderr)") }
    }

    /// Queues a job as the API does; returns its id.
    @discardableResult
    func submit(symbols: [String]? = nil, asOf: JobAsOf = .last, id: String = JobQueue.newJobID()) throws -> String {
        try JobQueue.enqueue(redis, JobRequest(jobID: id, symbols: symbols, asOf: asOf), at: WallClock.now())
        return id
    }

    func status(_ id: String) -> [String: Any]? {
        guard let text = try? redis.command(["GET", RedisKeys.status(id)]).string else { return nil }
        return (try? parseJSON(text)) as? [String: Any]
    }

    func state(_ id: String) -> String? { status(id)?["status"] as? String }

    /// Waits until the job's status is `state`.
    func waitFor(_ id: String, _ state: String, timeout: Duration = .seconds(30)) -> Bool {
        waitUntil(timeout: timeout) { self.state(id) == state }
    }

    func result(_ id: String) throws -> [String: Any] {
        guard let text = try redis.command(["GET", RedisKeys.result(id)]).string else {
            throw SupportError("no result for \(id)")
        }
        return try parseJSON(text) as? [String: Any] ?? [:]
    }

    func listLength(_ key: String) throws -> Int64 { try redis.command(["LLEN", key]).int ?? -1 }
}
