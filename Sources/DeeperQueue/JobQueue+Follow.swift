import DeeperRedis
import Foundation

extension JobQueue {
    /// Queues `job` and follows it to its final status through its events, as a client that
    /// must report the end at once does (`deeper submit --wait`).
    ///
    /// Subscribes to `deeper_analysis:events` on a connection of its own *before* it queues the
    /// job (on `redis`), so no event of the job can be missed by arriving first; each event of
    /// the job is handed to `onStatus`, and the final one ends the wait within about a
    /// millisecond of its publication. A status read (`GET deeper_analysis:status:{id}`) every
    /// `statusPollInterval` is the fallback that keeps a lost event (a subscriber connection
    /// dropped, a proxy that drops pub/sub) from hanging the wait; when the subscription itself
    /// fails the wait goes on by status reads alone.
    ///
    /// - Parameters:
    ///   - job: the job to queue (as ``enqueue(_:_:at:)`` does).
    ///   - redis: the connection that queues the job and reads its status.
    ///   - subscriber: a second connection for the subscription (it is in subscriber mode
    ///     until this returns).
    ///   - time: the queuing time written in the `queued` status.
    ///   - timeout: how long to wait, counted from the queuing.
    ///   - statusPollInterval: how often the status is read besides the events.
    ///   - queued: called once, right after the job was queued.
    ///   - onStatus: called with each status seen, in order (repeats possible when an event
    ///     and a status read see the same one).
    /// - Returns: the final (`completed` or `failed`) status, or `nil` when `timeout` passed first.
    /// - Throws: what queuing the job threw (nothing was queued then, or it is unknown whether
    ///   it was); a failing status read only counts as no news.
    public static func enqueueAndFollow(
        _ job: JobRequest, on redis: RedisConnection, subscriber: RedisConnection, at time: Int64,
        timeout: Duration, statusPollInterval: Duration = .milliseconds(250),
        queued: () -> Void = {}, onStatus: (JobStatusMessage) -> Void = { _ in }
    ) throws(RedisError) -> JobStatusMessage? {
        let clock = ContinuousClock()
        var deadline = clock.now + timeout
        var nextPoll = clock.now + statusPollInterval
        var final: JobStatusMessage?
        var enqueueError: RedisError?
        var isQueued = false
        let id = Array(job.jobID.utf8)

        func see(_ status: JobStatusMessage) {
            onStatus(status)
            if status.state == .completed || status.state == .failed { final = status }
        }
        func readStatus() {
            guard let bytes = try? redis.command(["GET", RedisKeys.status(job.jobID)]).bytes,
                let status = JobStatusMessage.decode(bytes)
            else { return }
            see(status)
        }
        func enqueue() {
            do throws(RedisError) {
                try Self.enqueue(redis, job, at: time)
                isQueued = true
                // The timeout counts from the job's queuing, not from the subscription.
                deadline = clock.now + timeout
                queued()
            } catch {
                enqueueError = error
            }
        }

        do throws(RedisError) {
            try subscriber.subscribe([RedisKeys.events], pollInterval: .milliseconds(20)) {
                if final != nil || enqueueError != nil || clock.now >= deadline { return true }
                if isQueued && clock.now >= nextPoll {
                    readStatus()
                    nextPoll = clock.now + statusPollInterval
                }
                return final != nil
            } _: { message in
                switch message.kind {
                case .subscribed:
                    if !isQueued { enqueue() }
                case .message:
                    // Every job's events come by: decode only those that name this one.
                    guard isQueued, final == nil, _contains(message.payload, id),
                        let status = JobStatusMessage.decode(message.payload), status.jobID == job.jobID
                    else { return }
                    see(status)
                }
            }
        } catch {
            // No subscription (refused, or the connection dropped): queue without it if that
            // did not happen yet, then read the status until it is final.
            if !isQueued && enqueueError == nil {
                enqueue()
            }
        }
        if let enqueueError { throw enqueueError }
        while final == nil && clock.now < deadline {
            readStatus()
            if final == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        return final
    }
}

/// Whether `needle` occurs in `haystack`.
private func _contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    let first = needle[0]
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == first {
            var k = 1
            while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        i += 1
    }
    return false
}
