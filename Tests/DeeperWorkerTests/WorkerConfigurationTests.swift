import DeeperKernels
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
}
