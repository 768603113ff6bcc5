#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `BatchEngine`'s threads share the CPU with everything else on the host.
///
/// Only the engine's own compute threads take this priority; the thread that calls `run` keeps
/// its own. That is what lets a worker compute on every core while the API, Redis and the
/// worker's own heartbeat and stream tail stay responsive on the same host: they wake, preempt
/// the kernels, do their few microseconds of work and give the core back. On a host with nothing
/// else to run, every priority computes at the same speed.
public enum ComputePriority: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The process's own priority: compute competes with everything else as an equal, so a
    /// request that wakes behind it can wait a whole time slice.
    case normal
    /// Nice 19 under `SCHED_BATCH`: compute gets about 1.5% of a contended core against a
    /// normal thread and does not preempt anything when it wakes; a waking normal thread may
    /// still wait for the end of the kernels' current slice.
    case low
    /// `SCHED_IDLE`: compute runs on CPU time that nothing else wants, and any other thread
    /// that wakes preempts it at once. A host whose other processes keep every core busy
    /// starves the kernels: use `low` or `normal` there.
    case idle

    /// The name as `deeper worker --compute-priority` takes it: `normal`, `low` or `idle`.
    public var description: String { rawValue }

    /// Gives the calling thread this priority; returns false when the system refused (the
    /// thread then keeps its priority, which is never higher than before).
    ///
    /// Linux keeps policy and nice value per thread, so `0` means "this thread" to both calls.
    @discardableResult
    public func applyToCurrentThread() -> Bool {
        #if os(Linux)
        var parameters = sched_param()
        switch self {
        case .normal:
            return true
        case .low:
            let niced = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) == 0
            return sched_setscheduler(0, _LinuxSchedulingPolicy.batch, &parameters) == 0 && niced
        case .idle:
            return sched_setscheduler(0, _LinuxSchedulingPolicy.idle, &parameters) == 0
        }
        #else
        switch self {
        case .normal: return true
        case .low, .idle: return setpriority(PRIO_PROCESS, 0, 19) == 0
        }
        #endif
    }
}

#if os(Linux)
/// Linux scheduling policies that Glibc's Swift module does not export (they sit behind
/// `_GNU_SOURCE`); the values are the kernel's stable ABI (`include/uapi/linux/sched.h`).
enum _LinuxSchedulingPolicy {
    static let batch: Int32 = 3
    static let idle: Int32 = 5
}
#endif

/// The calling thread's scheduling policy and nice value, as the kernel reports them (for
/// tests and diagnostics); `policy` is nil where the system has no such notion.
public struct ThreadSchedulingState: Sendable, Equatable {
    /// The scheduling policy (`SCHED_OTHER`, `SCHED_BATCH`, `SCHED_IDLE`); nil off Linux.
    public var policy: Int32?
    /// The nice value.
    public var nice: Int32

    /// The calling thread's state.
    public static func current() -> ThreadSchedulingState {
        #if os(Linux)
        return ThreadSchedulingState(
            policy: sched_getscheduler(0), nice: getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        #else
        return ThreadSchedulingState(policy: nil, nice: getpriority(PRIO_PROCESS, 0))
        #endif
    }

    /// What a thread at `priority` reports, on this system.
    /// - Parameters:
    ///   - priority: the priority a compute thread was given.
    ///   - base: the state of the thread that started it.
    public static func expected(for priority: ComputePriority, from base: ThreadSchedulingState) -> ThreadSchedulingState {
        #if os(Linux)
        switch priority {
        case .normal: return base
        case .low: return ThreadSchedulingState(policy: _LinuxSchedulingPolicy.batch, nice: 19)
        case .idle: return ThreadSchedulingState(policy: _LinuxSchedulingPolicy.idle, nice: base.nice)
        }
        #else
        return priority == .normal ? base : ThreadSchedulingState(policy: nil, nice: 19)
        #endif
    }
}
