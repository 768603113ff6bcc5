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

    /// The engine proper, generic so that each source's lookup is specialized into the loop.
    private func run<Source: _SymbolColumnsSource>(
        source: Source, requests: [SymbolRequest], asOf: AsOf, parameters: AnalysisParameters,
        progress: (@Sendable (Int) -> Void)?
    ) -> [SymbolMetrics] {
        let count = requests.count
        var results = [SymbolMetrics](
            repeating: .noHistory(avgADV: nil, rules: parameters.rules), count: count)
        guard count > 0 else { return results }
        // Batches small enough to balance uneven symbols, large enough to keep the counter cool.
        let batch = max(1, min(64, count / (threads * 16)))
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = _DisjointWrites(buffer)
            let used = min(threads, (count + batch - 1) / batch)
            lanes.run(lanes: used) { lane in
                let workspace = workspaces[lane]
                while true {
                    let first = next.wrappingAdd(batch, ordering: .relaxed).oldValue
                    if first >= count { break }
                    let last = min(count, first + batch)
                    for i in first..<last {
                        let r = requests[i]
                        out[i] = source.withSymbol(r.storeIndex) { columns, range in
                            workspace.analyzeSymbol(
                                columns, range: range, avgADV: r.avgADV, asOf: asOf, parameters: parameters)
                        }
                    }
                    let finished = done.wrappingAdd(last - first, ordering: .relaxed).newValue
                    progress?(finished)
                }
            }
        }
        return results
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
