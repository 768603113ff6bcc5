import DeeperRedis

/// What a capped enqueue did.
public enum CappedEnqueue: Equatable, Sendable {
    /// Queued; the queue now holds `length` jobs.
    case queued(length: Int)
    /// Refused, nothing written: the queue already held `length` jobs, at or over the cap.
    case full(length: Int)
}

extension JobQueue {
    /// Checks the queue's length and queues the job (status, LPUSH, event) in one Lua script,
    /// so no two requests can both see room for one job: beyond `maxQueue` nothing is written.
    public static let cappedEnqueueScript = """
        local length = redis.call('LLEN', KEYS[1])
        if length >= tonumber(ARGV[1]) then return {0, length} end
        redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
        redis.call('LPUSH', KEYS[1], ARGV[2])
        redis.call('PUBLISH', ARGV[5], ARGV[6])
        return {1, length + 1}
        """

    /// Queues `job` exactly as ``JobQueue/enqueue(_:_:at:)`` does, unless the queue already
    /// holds `maxQueue` jobs.
    ///
    /// - Throws: the error reply of the script (`NOAUTH`, `OOM`…), or a connection error.
    public static func enqueue(
        _ redis: RedisConnection, _ job: JobRequest, at time: Int64, maxQueue: Int
    ) throws(RedisError) -> CappedEnqueue {
        let status = JobMessages.status(.queued, message: "Job queued", worker: nil, at: time)
        let event = JobMessages.status(.queued, message: "Job queued", worker: nil, jobID: job.jobID, at: time)
        let reply = try redis.command([
            "EVAL", cappedEnqueueScript, "2", RedisKeys.jobs, RedisKeys.status(job.jobID),
            String(maxQueue), job.queuedJSON(), status, String(RedisKeys.statusTTL), RedisKeys.events, event,
        ])
        if case .error(let e) = reply { throw .server(e) }
        guard let parts = reply.array, parts.count == 2, let queued = parts[0].int, let length = parts[1].int else {
            throw .protocol("capped enqueue: expected [queued, length], got \(reply)")
        }
        return queued == 1 ? .queued(length: Int(length)) : .full(length: Int(length))
    }
}
