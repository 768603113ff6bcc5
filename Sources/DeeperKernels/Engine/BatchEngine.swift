import Synchronization

/// One symbol to compute: where its prints are (nil when it has none) and its `avg_adv`.
public struct SymbolRequest: Sendable {
    /// The symbol's index in the `PrintStore` (or its `LiveHistory` id); nil when it has no prints.
    public var storeIndex: Int?
    /// The symbol's `avg_adv` (SPEC §1.2); nil when unknown.
    public var avgADV: ExactDecimal?

    /// A symbol to compute.
    public init(storeIndex: Int?, avgADV: ExactDecimal?) {
        self.storeIndex = storeIndex
        self.avgADV = avgADV
    }
}

/// Runs the fast kernels over many symbols on all cores.
///
/// Symbols are handed out in small batches from a shared counter, so a thread that drew thin
/// symbols takes more of them; each thread keeps one `KernelWorkspace` for the engine's life.
/// The engine computes on threads of its own at its `priority` (the caller joins in only when it
/// already runs at that priority); `run` calls on one engine take turns.
public final class BatchEngine: Sendable {
    /// The number of compute threads.
    public let threads: Int
    /// The priority of the compute threads.
    public let priority: ComputePriority
    private let workspaces: _WorkspaceSlots
    private let lanes: _LaneThreads

    /// An engine with its compute threads started.
    ///
    /// - Parameters:
    ///   - threads: compute threads; nil or 0 = every core.
    ///   - priority: how those threads share the CPU with the rest of the host.
    public init(threads: Int? = nil, priority: ComputePriority = .normal) {
        let n = threads.flatMap { $0 > 0 ? $0 : nil } ?? BatchEngine.coreCount
        self.threads = n
        self.priority = priority
        self.workspaces = _WorkspaceSlots(count: n)
        self.lanes = _LaneThreads(count: n, priority: priority)
    }

    deinit { lanes.stop() }

    /// How many compute threads the system refused `priority` to (they run at the caller's
    /// priority instead), counted once each as they start.
    public var threadsRefusedPriority: Int { lanes.refusedPriority.load(ordering: .relaxed) }

    /// The scheduling state each compute thread reports, one per thread (diagnostics, tests).
    public func laneSchedulingStates() -> [ThreadSchedulingState] {
        var states = [ThreadSchedulingState](repeating: .current(), count: threads)
        states.withUnsafeMutableBufferPointer { buffer in
            let out = _DisjointWrites(buffer)
            lanes.run(lanes: threads) { lane in out[lane] = .current() }
        }
        return states
    }

    /// Cores available to this process.
    public static var coreCount: Int { max(1, _availableCores()) }

    /// Computes every request; the result has one entry per request, in order.
    ///
    /// - Parameters:
    ///   - store: every symbol's prints.
    ///   - requests: the symbols to compute, by index into `store`, with their `avg_adv`.
    ///   - asOf: "now" for every symbol (SPEC §4).
    ///   - parameters: rules, calendar and detail mode.
    ///   - progress: called now and then from a worker thread with the number of symbols done
    ///     so far.
    public func run(
        store: PrintStore, requests: [SymbolRequest], asOf: AsOf, parameters: AnalysisParameters,
        progress: (@Sendable (Int) -> Void)? = nil
    ) -> [SymbolMetrics] {
        run(source: store, requests: requests, asOf: asOf, parameters: parameters, progress: progress)
    }

    /// `run(store:requests:asOf:parameters:progress:)` into a caller's buffer: each symbol's
    /// metrics are computed in place in `results[i]`, and nothing is allocated (a caller that
    /// reuses `results` across runs allocates nothing per run either, outside detail mode).
    ///
    /// - Parameters:
    ///   - store: every symbol's prints.
    ///   - requests: the symbols to compute, by index into `store`, with their `avg_adv`.
    ///   - asOf: "now" for every symbol (SPEC §4).
    ///   - parameters: rules, calendar and detail mode.
    ///   - results: as many entries as `requests`; entry `i` is overwritten with request `i`'s metrics.
    ///   - progress: called now and then from a worker thread with the number of symbols done
    ///     so far.
    public func run(
        store: PrintStore, requests: [SymbolRequest], asOf: AsOf, parameters: AnalysisParameters,
        into results: inout [SymbolMetrics], progress: (@Sendable (Int) -> Void)? = nil
    ) {
        run(source: store, requests: requests, asOf: asOf, parameters: parameters, into: &results, progress: progress)
    }

    /// Computes every request from a `LiveHistory` snapshot, where `SymbolRequest.storeIndex` is
    /// the history's symbol id; otherwise as `run(store:requests:asOf:parameters:progress:)`.
    ///
    /// - Parameters:
    ///   - history: a snapshot of the live history (it does not change while this runs).
    ///   - requests: the symbols to compute, by history id, with their `avg_adv`.
    ///   - asOf: "now" for every symbol (SPEC §4).
    ///   - parameters: rules, calendar and detail mode; the rules should be the history's.
    ///   - progress: called now and then from a worker thread with the number of symbols done
    ///     so far.
    public func run(
        history: LiveHistory, requests: [SymbolRequest], asOf: AsOf, parameters: AnalysisParameters,
        progress: (@Sendable (Int) -> Void)? = nil
    ) -> [SymbolMetrics] {
        run(source: history, requests: requests, asOf: asOf, parameters: parameters, progress: progress)
    }

    /// The engine's results in a new array, generic so that each source's lookup is specialized
    /// into the loop.
    private func run<Source: _SymbolColumnsSource>(
        source: Source, requests: [SymbolRequest], asOf: AsOf, parameters: AnalysisParameters,
        progress: (@Sendable (Int) -> Void)?
    ) -> [SymbolMetrics] {
        var results = [SymbolMetrics](repeating: .unset, count: requests.count)
        run(source: source, requests: requests, asOf: asOf, parameters: parameters, into: &results, progress: progress)
        return results
    }

    /// The engine proper, writing each symbol's metrics in place in its slot of `results`.
    private func run<Source: _SymbolColumnsSource>(
        source: Source, requests: [SymbolRequest], asOf: AsOf, parameters: AnalysisParameters,
        into results: inout [SymbolMetrics], progress: (@Sendable (Int) -> Void)?
    ) {
        let count = requests.count
        precondition(results.count == count, "one result slot per request")
        guard count > 0 else { return }
        // Batches small enough to balance uneven symbols, large enough to keep the counter cool.
        let batch = max(1, min(64, count / (threads * 16)))
        results.withUnsafeMutableBufferPointer { buffer in
            let work = _BatchRun(
                source: source, requests: requests, asOf: asOf, parameters: parameters,
                out: _DisjointWrites(buffer), workspaces: workspaces, progress: progress, batch: batch)
            lanes.run(lanes: min(threads, (count + batch - 1) / batch), work: work)
        }
    }
}

/// One `BatchEngine` run as its lanes see it: each lane takes the next batch of requests from a
/// shared counter and computes them in place in their result slots.
struct _BatchRun<Source: _SymbolColumnsSource>: _LaneWork, ~Copyable {
    let source: Source
    let requests: [SymbolRequest]
    let asOf: AsOf
    let parameters: AnalysisParameters
    let out: _DisjointWrites<SymbolMetrics>
    let workspaces: _WorkspaceSlots
    let progress: (@Sendable (Int) -> Void)?
    let batch: Int
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)

    func perform(lane: Int) {
        let workspace = workspaces[lane]
        let count = requests.count
        while true {
            let first = next.wrappingAdd(batch, ordering: .relaxed).oldValue
            if first >= count { break }
            let last = min(count, first + batch)
            for i in first..<last {
                let r = requests[i]
                source.withSymbol(r.storeIndex) { columns, range in
                    workspace.analyzeSymbol(
                        columns, range: range, avgADV: r.avgADV, asOf: asOf, parameters: parameters,
                        into: &out.base[i])
                }
            }
            let finished = done.wrappingAdd(last - first, ordering: .relaxed).newValue
            progress?(finished)
        }
    }
}

/// Where `BatchEngine` finds a symbol's prints: one flat store, or one set of columns a symbol.
protocol _SymbolColumnsSource: Sendable {
    /// Calls `body` with the columns holding symbol `index` and its range in them; a nil index
    /// (a requested symbol with no prints) gets an empty range. The columns are lent, not
    /// returned, so a source shared by every thread is not retained once per symbol.
    func withSymbol<R>(_ index: Int?, _ body: (PrintColumns, Range<Int>) -> R) -> R
}

extension PrintStore: _SymbolColumnsSource {
    func withSymbol<R>(_ index: Int?, _ body: (PrintColumns, Range<Int>) -> R) -> R {
        body(columns, index.map { range(ofSymbol: $0) } ?? 0..<0)
    }
}

/// One workspace per lane of `BatchEngine`.
///
/// `@unchecked Sendable` because lane `k` is the only user of slot `k` while it runs, and
/// `_LaneThreads.run` keeps two runs from overlapping.
final class _WorkspaceSlots: @unchecked Sendable {
    private let slots: [KernelWorkspace]
    init(count: Int) { slots = (0..<count).map { _ in KernelWorkspace() } }
    subscript(lane: Int) -> KernelWorkspace { slots[lane] }
}

/// A results buffer written from several threads at distinct indices.
///
/// `@unchecked Sendable`: each index is written by exactly one batch, and the buffer outlives
/// the lanes that write it (both guaranteed by `BatchEngine.run`).
struct _DisjointWrites<Element>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Element>
    init(_ base: UnsafeMutableBufferPointer<Element>) { self.base = base }
    subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

#if canImport(Glibc)
import Glibc
func _availableCores() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#elseif canImport(Darwin)
import Darwin
func _availableCores() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#else
func _availableCores() -> Int { 1 }
#endif
