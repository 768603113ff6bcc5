import DeeperRedis
import Foundation

/// Queuing jobs exactly as the API does: the `queued` status first, then LPUSH.
public enum JobQueue {
    /// Queues `job`; returns the status JSON written.
    ///
    /// - Throws: the first error reply of any of its commands (`NOAUTH`, …).
    @discardableResult
    public static func enqueue(_ redis: RedisConnection, _ job: JobRequest, at time: Int64) throws(RedisError) -> String {
        let status = JobMessages.status(.queued, message: "Job queued", worker: nil, at: time)
        let event = JobMessages.status(.queued, message: "Job queued", worker: nil, jobID: job.jobID, at: time)
        let replies = try redis.pipeline([
            ["SET", RedisKeys.status(job.jobID), status, "EX", String(RedisKeys.statusTTL)],
            ["LPUSH", RedisKeys.jobs, job.queuedJSON()],
            ["PUBLISH", RedisKeys.events, event],
        ])
        for reply in replies {
            if case .error(let e) = reply { throw .server(e) }
        }
        return status
    }

    /// A new job id: a random UUID, lower-case, as the existing clients make them.
    public static func newJobID() -> String { UUID().uuidString.lowercased() }
}
