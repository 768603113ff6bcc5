@testable import DeeperKernels
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `BatchEngine`'s own compute threads: they take the engine's priority and only theirs, runs
/// on one engine take turns, and stopped threads end.
@Suite struct BatchEngineThreadTests {
    @Test(arguments: ComputePriority.allCases)
    func lanesRunAtTheEnginesPriorityAndTheCallerKeepsItsOwn(priority: ComputePriority) {
        let caller = ThreadSchedulingState.current()
        let engine = BatchEngine(threads: 3, priority: priority)
        let lanes = engine.laneSchedulingStates()
        #expect(engine.threadsRefusedPriority == 0)
        #expect(lanes == Array(repeating: ThreadSchedulingState.expected(for: priority, from: caller), count: 3))
        #expect(ThreadSchedulingState.current() == caller)
        #if os(Linux)
        // The states really differ: the expectation is not the caller's state in disguise.
        if priority != .normal { #expect(lanes[0] != caller) }
        #endif
    }

    /// A caller already at the engine's priority computes lane 0 itself; any other caller only
    /// waits, so the kernels never run at its priority.
    @Test func onlyACallerAtTheEnginesPriorityComputesALane() async {
        #if os(Linux)
        func ranOnCaller(_ lanes: _LaneThreads, callerPriority: ComputePriority) async -> Bool {
            let same = Mutex<Bool?>(nil)
            await DedicatedThread.run(name: "test-caller") {
                callerPriority.applyToCurrentThread()
                let caller = pthread_self()
                lanes.run(lanes: 1) { _ in same.withLock { $0 = pthread_equal(pthread_self(), caller) != 0 } }
            }
            return same.withLock { $0 } == true
        }
        let idle = _LaneThreads(count: 2, priority: .idle)
        defer { idle.stop() }
        #expect(await ranOnCaller(idle, callerPriority: .normal) == false)
        #expect(await ranOnCaller(idle, callerPriority: .idle) == true)
        let normal = _LaneThreads(count: 2, priority: .normal)
        defer { normal.stop() }
        #expect(await ranOnCaller(normal, callerPriority: .normal) == true)
        #endif
    }

    /// Two callers sharing one engine (and so its workspaces) both get right answers.
    @Test func concurrentRunsOnOneEngineTakeTurns() async {
        let symbols = (0..<24).map { i in
            ("S\(i)", printRun(from: "2025-11-17T14:30:00Z", count: 20 + i * 7, i % 2 == 0 ? "25.10" : "24.95"))
        }
        let store = makeStore(symbols)
        let requests = (0..<symbols.count).map { SymbolRequest(storeIndex: $0, avgADV: nil) }
        let parameters = AnalysisParameters()
        let expected = BatchEngine(threads: 1).run(store: store, requests: requests, asOf: .last, parameters: parameters)
        #expect(expected.filter { $0.asOf != nil }.count == symbols.count)
        let shared = BatchEngine(threads: 2, priority: .idle)
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    shared.run(store: store, requests: requests, asOf: .last, parameters: parameters) == expected
                }
            }
            for await same in group { #expect(same) }
        }
    }

    @Test func stoppedLaneThreadsEnd() {
        let lanes = _LaneThreads(count: 3, priority: .idle)
        let visits = Atomic<Int>(0)
        lanes.run(lanes: 3) { _ in visits.add(1, ordering: .relaxed) }
        lanes.run(lanes: 2) { _ in visits.add(1, ordering: .relaxed) }
        #expect(visits.load(ordering: .relaxed) == 5)
        #expect(lanes.liveThreads.load(ordering: .relaxed) == 3)
        lanes.stop()
        var waited = 0
        while lanes.liveThreads.load(ordering: .relaxed) > 0 && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(lanes.liveThreads.load(ordering: .relaxed) == 0)
    }

    @Test func lanesBearTheirNames() {
        #if os(Linux)
        let name = Mutex<[String]>([])
        // Idle lanes from a normal caller: every lane on its own thread.
        let lanes = _LaneThreads(count: 2, priority: .idle)
        defer { lanes.stop() }
        lanes.run(lanes: 2) { _ in
            let fd = open("/proc/thread-self/comm", O_RDONLY)
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, buffer.count)
            close(fd)
            let text = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            name.withLock { $0.append(String(text.filter { $0 != "\n" })) }
        }
        #expect(name.withLock { $0.sorted() } == ["deeper-lane-0", "deeper-lane-1"])
        #endif
    }
}
