import Dispatch
import Synchronization

/// `BatchEngine`'s compute threads: one per lane, started on first use at the engine's
/// `ComputePriority`, then parked on a semaphore between runs.
///
/// The engine owns its threads rather than borrowing Dispatch's (`concurrentPerform`) because
/// Dispatch sets its threads' priority from their QoS, so neither `nice` nor a policy can be
/// given to the kernels alone, and a thread lowered once would stay low for whatever Dispatch
/// runs on it next. The caller computes lane 0 itself only when it already runs at the engine's
/// priority (the worker's job loop does; `normal` always does), which spares a small job two
/// thread hand-offs; otherwise it waits, keeping its own priority (an unprivileged thread could
/// not raise it back after lowering it).
///
/// `@unchecked Sendable`: `body` is written by `run` before the lanes are woken and cleared
/// after every woken lane has signalled `finished`; the semaphores order those accesses, and
/// `threadsStarted` keeps two `run`s from overlapping.
final class _LaneThreads: @unchecked Sendable {
    let count: Int
    let priority: ComputePriority
    private let wake: [DispatchSemaphore]
    private let finished = DispatchSemaphore(value: 0)
    /// Whether the threads were started; held for a whole run, so runs take turns.
    private let threadsStarted = Mutex<Bool>(false)
    private var body: ((Int) -> Void)?
    private let exiting = Atomic<Bool>(false)
    /// Lanes whose priority the system refused (reported, never fatal).
    let refusedPriority = Atomic<Int>(0)
    /// Lane threads started and not yet ended (tests hold `stop` to its word with it).
    let liveThreads = Atomic<Int>(0)

    init(count: Int, priority: ComputePriority) {
        self.count = count
        self.priority = priority
        self.wake = (0..<count).map { _ in DispatchSemaphore(value: 0) }
    }

    /// Runs `body(lane)` for every lane in `0..<lanes` on the lane threads, and returns when
    /// all have returned.
    func run(lanes: Int, _ body: (Int) -> Void) {
        precondition(lanes <= count, "more lanes than threads")
        threadsStarted.withLock { started in
            if !started {
                for lane in 0..<count { DedicatedThread.start(name: "deeper-lane-\(lane)") { self.laneLoop(lane) } }
                started = true
            }
            let first = callerRunsAtPriority() ? 1 : 0
            withoutActuallyEscaping(body) { body in
                self.body = body
                for lane in first..<lanes { wake[lane].signal() }
                if first == 1 { body(0) }
                for _ in first..<lanes { finished.wait() }
                self.body = nil
            }
        }
    }

    /// Whether the calling thread already runs at `priority` (two system calls on Linux).
    private func callerRunsAtPriority() -> Bool {
        if priority == .normal { return true }
        let caller = ThreadSchedulingState.current()
        return caller.policy != nil && caller == ThreadSchedulingState.expected(for: priority, from: caller)
    }

    private func laneLoop(_ lane: Int) {
        liveThreads.add(1, ordering: .relaxed)
        defer { liveThreads.subtract(1, ordering: .relaxed) }
        if !priority.applyToCurrentThread() { refusedPriority.add(1, ordering: .relaxed) }
        while true {
            wake[lane].wait()
            if exiting.load(ordering: .acquiring) { return }
            body!(lane)
            finished.signal()
        }
    }

    /// Lets the threads end (they hold this object, so its owner calls this when done with it).
    func stop() {
        threadsStarted.withLock { started in
            exiting.store(true, ordering: .releasing)
            if started { for w in wake { w.signal() } }
        }
    }
}
