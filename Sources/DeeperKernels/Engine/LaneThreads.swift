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
/// Work is handed to the lanes as a pointer to the caller's `_LaneWork` (one word, held in the
/// existential's inline buffer), so a run allocates nothing: a closure made escaping with
/// `withoutActuallyEscaping` costs a 32-byte heap context per run.
///
/// `@unchecked Sendable`: `work` is written by `run` before the lanes are woken and cleared
/// after every woken lane has signalled `finished`; the semaphores order those accesses, and
/// `threadsStarted` keeps two `run`s from overlapping.
final class _LaneThreads: @unchecked Sendable {
    let count: Int
    let priority: ComputePriority
    private let wake: [DispatchSemaphore]
    private let finished = DispatchSemaphore(value: 0)
    /// Whether the threads were started; held for a whole run, so runs take turns.
    private let threadsStarted = Mutex<Bool>(false)
    private var work: (any _LaneWork)?
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
    /// all have returned (allocates a closure context: for tests and diagnostics, not hot paths).
    func run(lanes: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in run(lanes: lanes, work: _ClosureWork(body: body)) }
    }

    /// Runs `work.perform(lane:)` for every lane in `0..<lanes` on the lane threads, and returns
    /// when all have returned; allocates nothing once the threads are started.
    func run<Work: _LaneWork & ~Copyable>(lanes: Int, work: borrowing Work) {
        withUnsafePointer(to: work) { run(lanes: lanes, borrowed: _BorrowedWork(work: $0)) }
    }

    private func run(lanes: Int, borrowed: some _LaneWork) {
        precondition(lanes <= count, "more lanes than threads")
        threadsStarted.withLock { started in
            if !started {
                for lane in 0..<count { DedicatedThread.start(name: "deeper-lane-\(lane)") { self.laneLoop(lane) } }
                // Wait until every thread is named and prioritized: their start-up (which
                // allocates) is over before the first run, not racing it.
                for _ in 0..<count { finished.wait() }
                started = true
            }
            let first = callerRunsAtPriority() ? 1 : 0
            self.work = borrowed
            for lane in first..<lanes { wake[lane].signal() }
            if first == 1 { borrowed.perform(lane: 0) }
            for _ in first..<lanes { finished.wait() }
            self.work = nil
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
        finished.signal()
        while true {
            wake[lane].wait()
            if exiting.load(ordering: .acquiring) { return }
            work!.perform(lane: lane)
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

/// What `_LaneThreads` runs: `perform(lane:)` is called once for each lane, on that lane's thread.
protocol _LaneWork: ~Copyable {
    /// This lane's share of the work.
    func perform(lane: Int)
}

/// A `_LaneWork` lent by pointer: one word, so storing it in an `any _LaneWork` allocates nothing.
/// Valid only inside the lender's `withUnsafePointer`, which lasts the whole `_LaneThreads.run`.
struct _BorrowedWork<Work: _LaneWork & ~Copyable>: _LaneWork {
    let work: UnsafePointer<Work>
    func perform(lane: Int) { work.pointee.perform(lane: lane) }
}

/// A closure as `_LaneWork`.
struct _ClosureWork: _LaneWork {
    let body: (Int) -> Void
    func perform(lane: Int) { body(lane) }
}
