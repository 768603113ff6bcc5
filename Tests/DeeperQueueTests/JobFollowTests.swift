import DeeperData
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import Synchronization
import Testing

/// `JobQueue.enqueueAndFollow` against a real redis-server and a stand-in worker thread that
/// takes the job and writes its statuses as docs/REDIS.md says (or, to play a lost event,
/// writes the final status without publishing it).
@Suite struct JobFollowTests {
    /// When the stand-in worker wrote the final status.
    final class Finish: Sendable {
        let at = Mutex<ContinuousClock.Instant?>(nil)
    }

    enum Ending { case completedWithEvents, failedWithEvents, completedSilently }

    /// Takes one job off the queue and ends it as `ending` says; returns when the final status
    /// was written (the `ContinuousClock` instant is stored in `finishedAt`).
    static func fakeWorker(port: Int, ending: Ending, finishedAt: Finish) {
        Thread {
            guard let redis = try? RedisConnection(RedisConfiguration(port: port, commandTimeout: .seconds(30))),
                let raw = try? redis.command(["BRPOP", RedisKeys.jobs, "20"]).array?.last?.bytes,
                let job = try? JobRequest.parse(raw)
            else { return }
            func say(_ state: JobState, _ message: String, publish: Bool) {
                let now = WallClock.now()
                let status = JobMessages.status(state, message: message, worker: "fake", at: now)
                _ = try? redis.command(["SET", RedisKeys.status(job.jobID), status, "EX", "60"])
                if publish {
                    let event = JobMessages.status(state, message: message, worker: "fake", jobID: job.jobID, at: now)
                    _ = try? redis.command(["PUBLISH", RedisKeys.events, event])
                }
            }
            say(.processing, "Processing on fake", publish: true)
            // Another job's end, which must not end this wait.
            let other = JobMessages.status(.completed, message: "other", worker: "fake", jobID: "other-job", at: 0)
            _ = try? redis.command(["PUBLISH", RedisKeys.events, other])
            Thread.sleep(forTimeInterval: 0.2)
            switch ending {
            case .completedWithEvents: say(.completed, "Completed in 0.2 s by fake", publish: true)
            case .failedWithEvents: say(.failed, "Failed: on purpose", publish: true)
            case .completedSilently: say(.completed, "Completed in 0.2 s by fake", publish: false)
            }
            finishedAt.at.withLock { $0 = ContinuousClock.now }
        }.start()
    }

    struct Followed {
        var final: JobStatusMessage?
        var seen: [String]
        var returnedAt: ContinuousClock.Instant
        var queuedCalls: Int
    }

    static func follow(
        _ server: RedisTestServer, timeout: Duration, poll: Duration, ending: Ending?,
        finishedAt: Finish
    ) throws -> Followed {
        let config = RedisConfiguration(port: server.port, commandTimeout: .seconds(10))
        let redis = try RedisConnection(config)
        let subscriber = try RedisConnection(config)
        if let ending { fakeWorker(port: server.port, ending: ending, finishedAt: finishedAt) }
        var seen: [String] = []
        var queuedCalls = 0
        let job = JobRequest(jobID: JobQueue.newJobID(), symbols: ["OFN"], asOf: .last)
        let final = try JobQueue.enqueueAndFollow(
            job, on: redis, subscriber: subscriber, at: WallClock.now(), timeout: timeout, statusPollInterval: poll,
            queued: { queuedCalls += 1 }, onStatus: { seen.append($0.status) })
        return Followed(final: final, seen: seen, returnedAt: .now, queuedCalls: queuedCalls)
    }

    /// With a status read only once a minute, the end can only have come from the event.
    @Test func theFinalEventEndsTheWaitAtOnce() throws {
        let server = try RedisTestServer()
        let finished = Finish()
        let f = try Self.follow(server, timeout: .seconds(30), poll: .seconds(60), ending: .completedWithEvents, finishedAt: finished)
        #expect(f.final?.state == .completed)
        #expect(f.final?.message == "Completed in 0.2 s by fake")
        #expect(f.seen == ["queued", "processing", "completed"])
        #expect(f.queuedCalls == 1)
        let end = try #require(finished.at.withLock { $0 })
        #expect(end.duration(to: f.returnedAt) < .seconds(1))
    }

    @Test func aFailedJobEndsTheWaitWithItsStatus() throws {
        let server = try RedisTestServer()
        let finished = Finish()
        let f = try Self.follow(server, timeout: .seconds(30), poll: .seconds(60), ending: .failedWithEvents, finishedAt: finished)
        #expect(f.final?.state == .failed)
        #expect(f.final?.message == "Failed: on purpose")
    }

    /// A final status whose event never came is found by the status read.
    @Test func aLostEventIsMadeUpForByTheStatusRead() throws {
        let server = try RedisTestServer()
        let finished = Finish()
        let f = try Self.follow(server, timeout: .seconds(30), poll: .milliseconds(100), ending: .completedSilently, finishedAt: finished)
        #expect(f.final?.state == .completed)
        #expect(f.seen.contains("processing"))
        #expect(f.seen.last == "completed")
    }

    @Test func nobodyTakingTheJobTimesOutWithTheJobQueued() throws {
        let server = try RedisTestServer()
        let clock = ContinuousClock()
        let started = clock.now
        let f = try Self.follow(server, timeout: .milliseconds(400), poll: .milliseconds(100), ending: nil, finishedAt: Finish())
        #expect(f.final == nil)
        #expect(f.queuedCalls == 1)
        #expect(started.duration(to: clock.now) >= .milliseconds(400))
        let redis = try RedisConnection(RedisConfiguration(port: server.port))
        #expect(try redis.command(["LLEN", RedisKeys.jobs]) == .integer(1))
    }

    /// A subscription that cannot be made (its connection was dropped by the server) still
    /// queues the job and follows it by status reads.
    @Test func withoutASubscriptionTheJobIsQueuedAndFollowedByStatusReads() throws {
        let server = try RedisTestServer()
        let config = RedisConfiguration(port: server.port, commandTimeout: .seconds(10))
        let redis = try RedisConnection(config)
        let subscriber = try RedisConnection(config)
        let subscriberID = try #require(try subscriber.command(["CLIENT", "ID"]).int)
        #expect(try redis.command(["CLIENT", "KILL", "ID", String(subscriberID)]) == .integer(1))
        let finished = Finish()
        Self.fakeWorker(port: server.port, ending: .completedSilently, finishedAt: finished)
        let job = JobRequest(jobID: JobQueue.newJobID(), symbols: ["OFN"], asOf: .last)
        var queued = 0
        let final = try JobQueue.enqueueAndFollow(
            job, on: redis, subscriber: subscriber, at: WallClock.now(), timeout: .seconds(30),
            statusPollInterval: .seconds(60), queued: { queued += 1 })
        #expect(final?.state == .completed)
        #expect(queued == 1)
    }
}
