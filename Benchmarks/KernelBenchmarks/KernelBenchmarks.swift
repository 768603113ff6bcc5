import Benchmark
import DeeperData
import DeeperKernels

/// One benchmark per kernel over the generated `universe` dataset (482 symbols, 5 trading days),
/// each iteration computing every symbol once. CI checks instructions and mallocs against the
/// committed thresholds (wall clock is too noisy on shared machines to gate on).
let benchmarks: @Sendable () -> Void = {
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        // Instruction counts move only when the code does; 5% leaves room for toolchain noise.
        .instructions: .init(relative: [.p90: 5.0]),
        // The fast path must not allocate per symbol: any new allocation fails the check.
        .mallocCountTotal: .init(absolute: [.p90: 0]),
    ]
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(2),
        maxIterations: 20,
        thresholds: thresholds
    )

    let data = UniverseData.shared

    func kernelBenchmark(_ name: String, _ kernels: KernelSet) {
        Benchmark(name) { benchmark in
            let workspace = KernelWorkspace()
            _ = data.run(workspace, kernels)  // grow the workspace before measuring
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(data.run(workspace, kernels))
            }
        }
    }

    kernelBenchmark("GRPANAllWindows", .grpan)
    kernelBenchmark("RWVAPAllWindows", .rwvap)
    kernelBenchmark("SRPAN", .srpan)
    kernelBenchmark("WholeSymbol", .all)

    // The plain reference beside the fast path, in the same run: their ratio is the speed-up.
    Benchmark("ReferenceWholeSymbol", configuration: .init(maxIterations: 3, thresholds: [:])) { benchmark in
        for _ in benchmark.scaledIterations {
            var sink = 0
            for r in data.requests {
                sink &+= ReferenceKernels.analyzeSymbol(
                    data.store.columns, range: data.store.range(ofSymbol: r.storeIndex!), avgADV: r.avgADV,
                    asOf: .last, parameters: data.parameters
                ).tickCount
            }
            blackHole(sink)
        }
    }
}

/// The generated `universe` dataset, built once per process.
final class UniverseData: Sendable {
    static let shared = UniverseData()

    let store: PrintStore
    let requests: [SymbolRequest]
    let parameters = AnalysisParameters()

    private init() {
        let market = SyntheticMarket(.universe)
        let raw = market.rawPrints()
        store = PrintStore(prints: raw.prints, symbols: raw.symbols, venues: raw.venues, rules: parameters.rules)
        requests = market.universe.enumerated().map { SymbolRequest(storeIndex: $0.offset, avgADV: $0.element.avgADV) }
    }

    /// Every symbol through `workspace`; returns a checksum so nothing is optimised away.
    func run(_ workspace: KernelWorkspace, _ kernels: KernelSet) -> Int {
        var sink = 0
        for r in requests {
            let m = workspace.analyzeSymbol(
                store.columns, range: store.range(ofSymbol: r.storeIndex!), avgADV: r.avgADV, asOf: .last,
                parameters: parameters, kernels: kernels)
            sink &+= m.tickCount &+ Int(m[.pan1d].grpanPrice ?? 0) &+ m[.rwvap5d].effectivePrintCount
        }
        return sink
    }
}
