/// The Redis keys of SYSTEM.md: an external contract (scripts and dashboards read them).
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
    /// Hash raw job JSON → times handed back after a worker died (ours, beyond SYSTEM.md).
    public static let handbacks = "deeper_analysis:handbacks"

    public static func processing(_ worker: String) -> String { processingPrefix + worker }
    public static func heartbeat(_ worker: String) -> String { heartbeatPrefix + worker }
    public static func status(_ jobID: String) -> String { "deeper_analysis:status:" + jobID }
    public static func result(_ jobID: String) -> String { "deeper_analysis:result:" + jobID }

    /// TTLs of SYSTEM.md, in seconds.
    public static let statusTTL = 3600
    public static let resultTTL = 7200
}
