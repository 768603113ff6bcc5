import DeeperRedis
import DeeperTestSupport
import Testing

@Suite("SCAN, back-off and durations")
struct RedisHelpersTests {
    /// Every matching key comes back, and nothing else, across many SCAN steps.
    @Test func scanVisitsEveryMatchingKeyAndNoOther() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        var batch = RedisCommandBatch()
        for i in 0..<2_500 { batch.append(["SET", "deeper_analysis:worker:w\(i)", "1"]) }
        for i in 0..<500 { batch.append(["SET", "deeper_analysis:status:j\(i)", "1"]) }
        _ = try redis.pipeline(batch)
        var seen = Set<String>()
        try redis.scan(match: "deeper_analysis:worker:*", count: 100) { seen.insert($0) }
        #expect(seen == Set((0..<2_500).map { "deeper_analysis:worker:w\($0)" }))
        var none = 0
        try redis.scan(match: "nothing:*") { _ in none += 1 }
        #expect(none == 0)
    }

    @Test func backOffDoublesFrom100MillisecondsTo5SecondsAndResets() {
        var backOff = BackOff()
        var delays: [Duration] = []
        for _ in 0..<9 {
            delays.append(backOff.delay)
            backOff.wait(until: { true })  // stop at once: only the delays are under test
        }
        #expect(
            delays == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000].map { Duration.milliseconds($0) })
        backOff.reset()
        #expect(backOff.delay == .milliseconds(100))
    }

    @Test func sleepThreadSaysWhetherItSleptTheWholeDuration() {
        #expect(sleepThread(for: .milliseconds(1)))
        #expect(sleepThread(for: .zero))
        #expect(!sleepThread(for: .seconds(3600), until: { true }))
    }

    @Test(arguments: [
        (Duration.milliseconds(1_500), Duration.seconds(1), Int64(1)),
        (.milliseconds(1_500), .milliseconds(1), 1_500),
        (.seconds(2), .microseconds(1), 2_000_000),
        (.nanoseconds(999), .microseconds(1), 0),
        (.seconds(1) + .nanoseconds(1), .nanoseconds(1), 1_000_000_001),
        (.zero, .milliseconds(1), 0),
        (.milliseconds(-1_500), .seconds(1), -1),
        (.seconds(Int64.max), .nanoseconds(1), Int64.max),
    ])
    func wholeUnitsRoundTowardZero(duration: Duration, unit: Duration, expected: Int64) {
        #expect(duration.whole(unit) == expected)
    }
}
