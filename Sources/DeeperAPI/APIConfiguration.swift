import DeeperData
import DeeperRedis

/// How `deeper serve` listens and reaches Redis.
///
/// The defaults are the deployment's (SYSTEM.md, "Configuration"): `127.0.0.1:8000`, a local
/// Redis on 6379.
public struct APIConfiguration: Sendable {
    /// Address to bind (`API_HOST`).
    public var host: String
    /// Port to bind (`API_PORT`); 0 lets the kernel pick one, which the start-up log names.
    public var port: Int
    /// Where Redis is. Its timeouts are replaced by ``redisConnectTimeout`` and
    /// ``redisCommandTimeout``.
    public var redis: RedisConfiguration
    /// Bounds connecting to Redis, so a request fails with 503 soon when Redis is away.
    public var redisConnectTimeout: Duration
    /// Bounds each Redis command of a request.
    public var redisCommandTimeout: Duration
    /// Threads that run blocking Redis calls and body parsing (never the event loop's). Each
    /// holds at most one Redis connection at a time, so this also caps the connection count.
    public var blockingThreads: Int
    /// Largest `POST /api/prints` body.
    public var maxPrintsBodyBytes: Int
    /// Largest `POST /api/deeper-analysis/compute` body (10,000 symbols fit many times over).
    public var maxComputeBodyBytes: Int
    /// `MAX_FUTURE`: `POST /api/prints` refuses prints stamped further ahead of the clock.
    public var futureTolerance: FutureTolerance = .default
    /// The token, the origins allowed to write, the body types (`API_TOKEN`, `API_ALLOW_ORIGINS`).
    public var access = APIAccess()
    /// Timeouts and the cap on open connections.
    public var connectionLimits = ConnectionLimits()
    /// `MAX_QUEUE`: compute answers 429 (queuing nothing) while this many jobs wait.
    public var maxQueue = 1000
    /// The `Retry-After` of a 429, in seconds.
    public var retryAfterSeconds = 5

    public init(
        host: String = "127.0.0.1",
        port: Int = 8000,
        redis: RedisConfiguration = RedisConfiguration(),
        redisConnectTimeout: Duration = .seconds(1),
        redisCommandTimeout: Duration = .seconds(10),
        blockingThreads: Int = 4,
        maxPrintsBodyBytes: Int = 16 << 20,
        maxComputeBodyBytes: Int = 2 << 20
    ) {
        precondition(blockingThreads >= 1, "blockingThreads must be at least 1")
        self.host = host
        self.port = port
        self.redis = redis
        self.redisConnectTimeout = redisConnectTimeout
        self.redisCommandTimeout = redisCommandTimeout
        self.blockingThreads = blockingThreads
        self.maxPrintsBodyBytes = maxPrintsBodyBytes
        self.maxComputeBodyBytes = maxComputeBodyBytes
    }

    /// The Redis configuration requests connect with.
    var requestRedis: RedisConfiguration {
        var c = redis
        c.connectTimeout = redisConnectTimeout
        c.commandTimeout = redisCommandTimeout
        return c
    }
}
