import DeeperData
import DeeperKernels
import DeeperRedis

/// How a worker runs (README, "`deeper worker`"); built from the environment, then flags.
public struct WorkerConfiguration: Sendable {
    public var redis: RedisConfiguration
    /// `WORKER_NAME`, default `worker_<pid>`.
    public var name: String
    /// `POLL_TIMEOUT`: how long one BLMOVE waits for a job.
    public var pollTimeout: Duration
    /// `MAX_JOB_TIME`: a job running longer fails with that reason.
    public var maxJobTime: Duration
    /// `WORKER_THREADS`: compute threads (default every core).
    public var threads: Int
    /// `COMPUTE_PRIORITY`: how the compute threads share the host (default `idle`, so that the
    /// API, Redis and this worker's own heartbeat and tail preempt the kernels at once).
    public var computePriority: ComputePriority = .idle
    public var rules: Rules
    /// Heartbeat period; the key lives 3 periods, so a worker is presumed dead ~6–9 s after it stops.
    public var heartbeatInterval: Duration = .seconds(2)
    /// How many times a job may be handed back after its worker died before it goes to the dead list.
    public var maxHandbacks = 3
    /// `SNAPSHOT_PATH`: where the worker keeps a snapshot of its history (README, "Snapshot");
    /// `nil` (the default) keeps none, and every start reads the whole stream.
    public var snapshotPath: String?
    /// `SNAPSHOT_INTERVAL`: how often the snapshot is rewritten (when the history changed).
    public var snapshotInterval: Duration = .seconds(60)
    #if DEBUG
    /// Test-only, in debug builds alone: sleep this long inside every job (to kill or stop a
    /// worker mid-job).
    public var testJobDelay: Duration = .zero
    /// Test-only, in debug builds alone: sleep this long half-way through writing each
    /// snapshot (to kill a worker mid-write).
    public var testSnapshotDelay: Duration = .zero
    #endif
    /// `MAX_FUTURE`: stream entries stamped further ahead of their arrival are skipped.
    public var futureTolerance: FutureTolerance = .default

    public init(
        redis: RedisConfiguration, name: String, pollTimeout: Duration = .seconds(5),
        maxJobTime: Duration = .seconds(300), threads: Int = BatchEngine.coreCount, rules: Rules = .default
    ) {
        self.redis = redis
        self.name = name
        self.pollTimeout = pollTimeout
        self.maxJobTime = maxJobTime
        self.threads = threads
        self.rules = rules
    }

    /// Reads `WORKER_NAME`, `POLL_TIMEOUT`, `MAX_JOB_TIME`, `WORKER_THREADS`, `COMPUTE_PRIORITY`, `MAX_FUTURE`,
    /// `SNAPSHOT_PATH`, `SNAPSHOT_INTERVAL` (and the
    /// `REDIS_*` variables); a malformed value is an error naming the variable.
    public static func fromEnvironment(_ env: [String: String], pid: Int32) throws -> WorkerConfiguration {
        var c = WorkerConfiguration(redis: try RedisConfiguration.fromEnvironment(env), name: "worker_\(pid)")
        if let v = env["WORKER_NAME"], !v.isEmpty {
            guard !v.contains(where: { $0.isWhitespace }) else {
                throw RedisConfigurationError(variable: "WORKER_NAME", value: v, reason: "must not contain spaces")
            }
            c.name = v
        }
        if let v = env["POLL_TIMEOUT"], !v.isEmpty { c.pollTimeout = try seconds("POLL_TIMEOUT", v) }
        if let v = env["SNAPSHOT_PATH"], !v.isEmpty { c.snapshotPath = v }
        if let v = env["SNAPSHOT_INTERVAL"], !v.isEmpty { c.snapshotInterval = try seconds("SNAPSHOT_INTERVAL", v) }
        if let v = env["MAX_JOB_TIME"], !v.isEmpty { c.maxJobTime = try seconds("MAX_JOB_TIME", v) }
        if let v = env["WORKER_THREADS"], !v.isEmpty {
            guard let n = Int(v), n >= 1 else {
                throw RedisConfigurationError(variable: "WORKER_THREADS", value: v, reason: "must be a whole number ≥ 1")
            }
            c.threads = n
        }
        if let v = env["COMPUTE_PRIORITY"], !v.isEmpty {
            guard let p = ComputePriority(rawValue: v) else {
                throw RedisConfigurationError(
                    variable: "COMPUTE_PRIORITY", value: v,
                    reason: "must be one of \(ComputePriority.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            c.computePriority = p
        }
        do {
            c.futureTolerance = try FutureTolerance.fromEnvironment(env)
        } catch {
            throw RedisConfigurationError(
                variable: FutureTolerance.environmentVariable, value: error.value, reason: "must be a number of seconds ≥ 0")
        }
        return c
    }

    static func seconds(_ variable: String, _ text: String) throws -> Duration {
        guard let s = Double(text) else {
            throw RedisConfigurationError(variable: variable, value: text, reason: "must be a positive number of seconds")
        }
        return try seconds(variable, s)
    }

    /// `seconds` as a duration, if it is positive and under 10⁶ (the setting `name` says why not).
    public static func seconds(_ name: String, _ seconds: Double) throws -> Duration {
        guard seconds > 0, seconds < 1e6 else {
            throw RedisConfigurationError(
                variable: name, value: "\(seconds)", reason: "must be a positive number of seconds")
        }
        return .seconds(seconds)
    }
}
