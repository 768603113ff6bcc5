/// The Redis keys of docs/REDIS.md: an external contract (scripts and dashboards read them).
public enum RedisKeys {
    /// List of queued job JSON; clients LPUSH, workers take from the right (FIFO).
    public static let jobs = "deeper_analysis:jobs"
    /// Stream of prints: fields `sym`, `t` (epoch ms), `p` (decimal), `s` (int), `v` (venue).
    public static let prints = "deeper_analysis:prints"
    /// Set of every symbol seen by the feed.
    public static let symbols = "deeper_analysis:symbols"
    /// Hash symbol → avg_adv.
    public static let avgADV = "deeper_analysis:avg_adv"
    /// Pub/sub channel of status changes.
    public static let events = "deeper_analysis:events"
    /// Jobs that could not be parsed or failed too often, with the reason.
    public static let dead = "deeper_analysis:dead"
    /// Prefix of the per-worker processing lists.
    public static let processingPrefix = "deeper_analysis:processing:"
    /// Prefix of the per-worker heartbeat keys.
    public static let heartbeatPrefix = "deeper_analysis:worker:"
    /// Hash raw job JSON → times handed back after a worker died (docs/REDIS.md, "Hand-back").
    public static let handbacks = "deeper_analysis:handbacks"

    /// Hash symbol → SPEC §10.1 one-symbol JSON at the live clock (docs/REDIS.md, "Live results").
    public static let live = "deeper_analysis:live"
    /// String: `{"as_of", "updated_at", "worker", "symbols"}` of the last live publish.
    public static let liveMeta = "deeper_analysis:live:meta"
    /// Hash symbol → the symbol's eligible prints of the last five trading days, for charts.
    public static let livePrints = "deeper_analysis:live:prints"
    /// String with a short TTL: the name of the one worker publishing live results (a lease).
    public static let liveLeader = "deeper_analysis:live:leader"
    /// Pub/sub channel: `{"as_of", "symbols": [changed symbols]}` after each live publish.
    public static let liveUpdates = "deeper_analysis:live_updates"

    /// The processing list of worker `worker`: the jobs it holds.
    public static func processing(_ worker: String) -> String { processingPrefix + worker }
    /// The heartbeat key of worker `worker`; it exists while the worker lives.
    public static func heartbeat(_ worker: String) -> String { heartbeatPrefix + worker }
    /// The status of job `jobID` (TTL `statusTTL`).
    public static func status(_ jobID: String) -> String { "deeper_analysis:status:" + jobID }
    /// The result of job `jobID` (TTL `resultTTL`).
    public static func result(_ jobID: String) -> String { "deeper_analysis:result:" + jobID }

    /// How long a job status lives, in seconds (docs/REDIS.md).
    public static let statusTTL = 3600
    /// How long a job result lives, in seconds (docs/REDIS.md).
    public static let resultTTL = 7200
}
