import DeeperKernels
import DeeperRedis
import DeeperWorker
import Testing

@Suite struct WorkerConfigurationTests {
    @Test func computePriorityDefaultsToIdle() throws {
        let c = try WorkerConfiguration.fromEnvironment([:], pid: 42)
        #expect(c.computePriority == .idle)
        #expect(c.name == "worker_42")
    }

    @Test(arguments: ComputePriority.allCases)
    func computePriorityComesFromTheEnvironment(priority: ComputePriority) throws {
        let c = try WorkerConfiguration.fromEnvironment(["COMPUTE_PRIORITY": priority.rawValue], pid: 1)
        #expect(c.computePriority == priority)
    }

    @Test func aBadComputePriorityNamesTheVariableAndTheChoices() {
        do {
            _ = try WorkerConfiguration.fromEnvironment(["COMPUTE_PRIORITY": "realtime"], pid: 1)
            Issue.record("accepted COMPUTE_PRIORITY=realtime")
        } catch {
            let text = "\(error)"
            #expect(text.contains("COMPUTE_PRIORITY"), "\(text)")
            #expect(text.contains("realtime"), "\(text)")
            #expect(text.contains("normal, low, idle"), "\(text)")
        }
    }

    @Test func theSnapshotIsOffByDefaultAndSetFromTheEnvironment() throws {
        let none = try WorkerConfiguration.fromEnvironment([:], pid: 1)
        #expect(none.snapshotPath == nil)
        #expect(none.snapshotInterval == .seconds(60))
        let c = try WorkerConfiguration.fromEnvironment(["SNAPSHOT_PATH": "/var/lib/deeper/w1.snap", "SNAPSHOT_INTERVAL": "15"], pid: 1)
        #expect(c.snapshotPath == "/var/lib/deeper/w1.snap")
        #expect(c.snapshotInterval == .seconds(15))
        #expect(throws: RedisConfigurationError.self) { try WorkerConfiguration.fromEnvironment(["SNAPSHOT_INTERVAL": "0"], pid: 1) }
    }

    @Test func secondsAreCheckedAlikeFromTheEnvironmentAndFlags() throws {
        let c = try WorkerConfiguration.fromEnvironment(["POLL_TIMEOUT": "1.5", "MAX_JOB_TIME": "0.25"], pid: 1)
        #expect(c.pollTimeout == .milliseconds(1_500))
        #expect(c.maxJobTime == .milliseconds(250))
        #expect(try WorkerConfiguration.seconds("--poll-timeout", 2) == .seconds(2))
        for bad in [0, -1, 1e6, 1e300, .nan, .infinity] {
            #expect(throws: RedisConfigurationError.self) { try WorkerConfiguration.seconds("--poll-timeout", bad) }
        }
        #expect(throws: RedisConfigurationError.self) { try WorkerConfiguration.fromEnvironment(["POLL_TIMEOUT": "soon"], pid: 1) }
    }
}
