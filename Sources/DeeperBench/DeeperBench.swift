import ArgumentParser
import CMallocCounter
import DeeperData
import DeeperKernels
import Foundation

/// `deeper-bench`: per-symbol throughput of the kernels, side by side with their reference, the
/// memory-bandwidth bound, the CSV parser and (optionally) a numpy baseline, all in one run.
@main
struct DeeperBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deeper-bench",
        abstract: "Measure kernel throughput against the reference, the bandwidth bound and a numpy baseline.",
        discussion: """
            Everything runs in this one process on the same data, so ratios hold on a noisy machine.
            Build it optimised:  swift build -c release --product deeper-bench
            For the host CPU (AVX2/AVX-512) add:  -Xswiftc -target-cpu -Xswiftc native

            Examples:
              deeper-bench --dataset universe --repeat 3 --check
              deeper-bench --dataset scale --json scale.json
              deeper-bench --dataset universe --baseline numpy
            """
    )

    enum Dataset: String, ExpressibleByArgument, CaseIterable {
        /// 482 symbols, 5 trading days, ≈ 200k prints.
        case universe
        /// 2,000 symbols, 5 trading days, ≈ 16M prints.
        case scale
    }

    enum Baseline: String, ExpressibleByArgument, CaseIterable {
        case numpy
    }

    @Option(help: "Generated dataset (ignored with --prints).")
    var dataset: Dataset = .universe

    @Option(help: ArgumentHelp("Benchmark on this prints CSV instead of generated data.", valueName: "FILE.csv"))
    var prints: String?

    @Option(help: ArgumentHelp("Universe CSV for --prints.", valueName: "U.csv"))
    var universe: String?

    @Option(help: "Timed runs per measurement; the median is reported.")
    var `repeat`: Int = 5

    @Option(help: ArgumentHelp("Write one JSON record per run to this file.", valueName: "FILE"))
    var json: String?

    @Option(help: "Also run this baseline on the same data (written to a temporary CSV).")
    var baseline: Baseline?

    @Option(name: .customLong("max-threads"), help: "Highest thread count to measure (default: every core).")
    var maxThreads: Int?

    @Option(name: .customLong("min-speedup"), help: "With --check: the least fast/reference speed-up that passes.")
    var minSpeedup: Double = 10

    enum Stage: String, ExpressibleByArgument, CaseIterable {
        case reference, fast, fixed, probe, parse, json, e2e
    }

    @Option(help: "Run only these stages (repeatable; default all). Handy under a profiler.")
    var only: [Stage] = []

    func runs(_ stage: Stage) -> Bool { only.isEmpty || only.contains(stage) }

    @Flag(help: "Exit 1 unless the fast path is --min-speedup × the reference and allocates nothing per symbol.")
    var check = false

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        if let maxThreads, maxThreads < 1 { throw ValidationError("--max-threads must be at least 1") }
    }

    func run() throws {
        let parameters = AnalysisParameters()
        let loaded = try loadData(rules: parameters.rules)
        let store = loaded.store
        let requests = loaded.requests
        let name = loaded.name
        let symbols = requests.count
        let printCount = store.printCount
        log("dataset \(name): \(symbols) symbols, \(printCount) eligible prints, repeat \(`repeat`)")
        var records: [BenchRecord] = []
        func record(_ path: String, threads: Int, seconds: Double) -> BenchRecord {
            var r = BenchRecord(dataset: name, path: path, threads: threads, symbols: symbols, prints: printCount, seconds: seconds)
            r.symbolsPerSecond = Double(symbols) / seconds
            r.printsPerSecond = Double(printCount) / seconds
            r.nsPerPrint = seconds * 1e9 / Double(max(1, printCount))
            return r
        }

        // Reference: the plain kernels, one thread.
        var referenceSink = 0
        let referenceSeconds = !runs(.reference) ? Double.nan : medianSeconds(repeats: `repeat`) {
            for r in requests {
                let range = r.storeIndex.map { store.range(ofSymbol: $0) } ?? 0..<0
                referenceSink &+= ReferenceKernels.analyzeSymbol(
                    store.columns, range: range, avgADV: r.avgADV, asOf: .last, parameters: parameters
                ).tickCount
            }
        }
        if runs(.reference) { records.append(record("reference", threads: 1, seconds: referenceSeconds)) }

        // Allocations per symbol: a warm workspace over every symbol, counted by the interposer.
        let workspace = KernelWorkspace()
        func kernelPass() -> Int {
            var sink = 0
            for r in requests {
                let range = r.storeIndex.map { store.range(ofSymbol: $0) } ?? 0..<0
                sink &+= workspace.analyzeSymbol(
                    store.columns, range: range, avgADV: r.avgADV, asOf: .last, parameters: parameters
                ).tickCount
            }
            return sink
        }
        let warm = kernelPass()
        let mallocsBefore = deeper_malloc_count()
        let again = kernelPass()
        let kernelMallocs = deeper_malloc_count() - mallocsBefore
        precondition(warm == again, "the fast path is not deterministic")
        if runs(.reference) { precondition(again == referenceSink / `repeat`, "fast and reference disagree on tick counts") }
        let allocationsPerSymbol = Double(kernelMallocs) / Double(max(1, symbols))

        // Fast path: the batch engine at every thread count, and the same pass with every symbol
        // cut to its last print: what a symbol costs whatever its prints (the fixed cost).
        let lastPrints = store.lastPrintOnly(rules: parameters.rules)
        let cores = BatchEngine.coreCount
        let top = min(maxThreads ?? cores, max(cores, maxThreads ?? 1))
        var oneThread = 0.0
        var engineMallocsByThreads: [(threads: Int, mallocs: UInt64)] = []
        var engines: [BatchEngine] = []
        let placeholder = workspace.analyzeSymbol(store.columns, range: 0..<0, avgADV: nil, asOf: .last, parameters: parameters)
        for threads in 1...top where runs(.fast) || runs(.probe) {
            log("fast, \(threads) thread(s)…")
            let engine = BatchEngine(threads: threads)
            engines.append(engine)  // kept: threads of a released engine exit (and free) while the next one counts
            if runs(.fast) {
            // Into one reused buffer: what a run costs beyond its results, and allocations counted
            // over two warm runs alone (the timing loop's own samples would count otherwise).
            var results = [SymbolMetrics](repeating: placeholder, count: requests.count)
            // Warm-up: each lane's workspace grows its histogram to the widest symbol it has drawn,
            // and which symbols a lane draws changes from run to run; run until one allocates nothing.
            for _ in 0..<10 {
                let warmBefore = deeper_malloc_count()
                engine.run(store: store, requests: requests, asOf: .last, parameters: parameters, into: &results)
                if deeper_malloc_count() == warmBefore { break }
            }
            let before = deeper_malloc_count()
            for _ in 0..<2 { engine.run(store: store, requests: requests, asOf: .last, parameters: parameters, into: &results) }
            let engineMallocs = deeper_malloc_count() - before
            engineMallocsByThreads.append((threads, engineMallocs))
            let seconds = medianSeconds(repeats: `repeat`) {
                engine.run(store: store, requests: requests, asOf: .last, parameters: parameters, into: &results)
            }
            if threads == 1 { oneThread = seconds }
            var r = record("fast", threads: threads, seconds: seconds)
            if runs(.fixed) {
                let fixedSeconds = medianSeconds(repeats: `repeat`) {
                    engine.run(store: lastPrints, requests: requests, asOf: .last, parameters: parameters, into: &results)
                }
                r.fixedMicrosPerSymbol = fixedSeconds * 1e6 / Double(max(1, symbols)) * Double(threads)
            }
            r.speedupOverReference = referenceSeconds / seconds
            r.parallelEfficiency = oneThread / seconds / Double(threads)
            r.allocationsPerSymbol = Double(engineMallocs) / 2 / Double(max(1, symbols))
            records.append(r)
            }
            guard runs(.probe) else { continue }
            let probeSeconds = medianSeconds(repeats: `repeat`) { _ = BandwidthProbe.run(store.columns, threads: threads) }
            var probe = record("bandwidth-probe", threads: threads, seconds: probeSeconds)
            probe.speedupOverReference = referenceSeconds / probeSeconds
            records.append(probe)
            if let i = records.lastIndex(where: { $0.path == "fast" && $0.threads == threads }) {
                records[i].bandwidthFraction = probeSeconds / records[i].seconds
            }
        }

        // The CSV parser on a generated file held in memory.
        if runs(.parse) {
        log("CSV parse…")
        let csv = loaded.csvForParse()
        var parsedCount = 0
        let parseSeconds = medianSeconds(repeats: `repeat`) {
            parsedCount = (try? PrintsCSV.parse(csv, fileName: "generated.csv"))?.prints.count ?? -1
        }
        var parse = BenchRecord(
            dataset: name, path: "csv-parse", threads: 1, symbols: symbols, prints: parsedCount, seconds: parseSeconds)
        parse.parseMBPerSecond = Double(csv.count) / parseSeconds / 1e6
        parse.printsPerSecond = Double(parsedCount) / parseSeconds
        records.append(parse)
        }

        // The SPEC §10.1 result JSON of every symbol (what a worker writes per job).
        if runs(.json) {
            log("result JSON…")
            let metrics = BatchEngine(threads: 1).run(store: store, requests: requests, asOf: .last, parameters: parameters)
            let names = requests.indices.map { store.symbols[requests[$0].storeIndex ?? 0] }
            var bytes = 0
            let jsonSeconds = medianSeconds(repeats: `repeat`) {
                bytes = ResultJSON.jobResultBytes(
                    jobID: "bench", symbols: names, metrics: metrics, processedCount: names.count, finishedAt: 0
                ).count
            }
            var r = BenchRecord(dataset: name, path: "result-json", threads: 1, symbols: symbols, prints: printCount, seconds: jsonSeconds)
            r.symbolsPerSecond = Double(symbols) / jsonSeconds
            r.parseMBPerSecond = Double(bytes) / jsonSeconds / 1e6
            records.append(r)
        }

        // End to end, as `deeper analyze FILE --format json` does it: read and parse the CSV,
        // group and sort by symbol, compute every symbol on every core, write the result JSON.
        if runs(.e2e) {
            log("end to end (CSV file → JSON)…")
            records += try endToEnd(loaded: loaded, parameters: parameters, threadCounts: top > 1 ? [1, top] : [1])
        }

        if baseline == .numpy {
            log("numpy baseline…")
            records.append(try runNumpy(loaded: loaded, fastOneThread: oneThread))
        }

        print(BenchRecord.table(records))
        if let json {
            let text = records.map(\.json).joined(separator: "\n") + "\n"
            guard FileManager.default.createFile(atPath: json, contents: Data(text.utf8)) else {
                throw ValidationError("cannot write \(json)")
            }
        }
        if check {
            guard let fast = records.first(where: { $0.path == "fast" && $0.threads == 1 }), runs(.reference) else {
                throw ValidationError("--check needs the reference and fast stages")
            }
            var failures: [String] = []
            if (fast.speedupOverReference ?? 0) < minSpeedup {
                failures.append("fast path is \(Report.fixed(fast.speedupOverReference ?? 0, 1))× the reference, below \(minSpeedup)×")
            }
            if deeper_malloc_counting() != 0 && kernelMallocs != 0 {
                failures.append("fast path allocated \(kernelMallocs) times over \(symbols) symbols (must be 0)")
            }
            for (threads, mallocs) in engineMallocsByThreads where deeper_malloc_counting() != 0 && mallocs != 0 {
                failures.append("batch engine, \(threads) thread(s), allocated \(mallocs) times in 2 runs of \(symbols) symbols (must be 0)")
            }
            if deeper_malloc_counting() == 0 { log("note: allocation counting unavailable on this platform") }
            if failures.isEmpty {
                log("check passed: fast \(Report.fixed(fast.speedupOverReference ?? 0, 1))× reference, 0 allocations per symbol (workspace and engine at 1...\(engineMallocsByThreads.last?.threads ?? 1) threads)")
            } else {
                for f in failures { log("check FAILED: \(f)") }
                throw ExitCode(1)
            }
        }
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data(("deeper-bench: " + message + "\n").utf8))
}
