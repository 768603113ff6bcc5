import ArgumentParser
import DeeperData
import DeeperKernels
import Foundation

/// The data one bench run computes on, generated in memory or read from a CSV.
struct LoadedData {
    var name: String
    var store: PrintStore
    var requests: [SymbolRequest]
    var market: SyntheticMarket?
    var csvPath: String?
    var universePath: String?

    /// Bytes for the parse measurement: the generated `universe` tape (or the given file).
    func csvForParse() -> [UInt8] {
        if let csvPath, let data = FileManager.default.contents(atPath: csvPath) { return [UInt8](data) }
        var bytes: [UInt8] = []
        SyntheticMarket(.universe).writeCSV { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }
}

extension DeeperBench {
    func loadData(rules: Rules) throws -> LoadedData {
        if let prints {
            let input = try OfflineInput.load(printsPath: prints, universePath: universe, rules: rules, skipInvalid: true)
            let (_, requests) = input.requests(for: nil)
            return LoadedData(
                name: (prints as NSString).lastPathComponent, store: input.store, requests: requests, market: nil,
                csvPath: prints, universePath: universe)
        }
        let market = SyntheticMarket(dataset == .scale ? .scale : .universe)
        log("generating \(dataset.rawValue) dataset…")
        let raw = market.rawPrints()
        let store = PrintStore(prints: raw.prints, symbols: raw.symbols, venues: raw.venues, rules: rules)
        let requests = market.universe.enumerated().map { SymbolRequest(storeIndex: $0.offset, avgADV: $0.element.avgADV) }
        return LoadedData(name: dataset.rawValue, store: store, requests: requests, market: market)
    }

    /// The dataset as files: the CSV it was read from, or a generated market written as
    /// `prints.csv` and `universe.csv` into `dir` (which the caller deletes).
    func csvFiles(of loaded: LoadedData, in dir: URL) throws -> (prints: String?, universe: String?) {
        guard let market = loaded.market else { return (loaded.csvPath, loaded.universePath) }
        let path = dir.appendingPathComponent("prints.csv").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = FileHandle(forWritingAtPath: path)!
        market.writeCSV { chunk in handle.write(Data(chunk)) }
        try handle.close()
        let u = dir.appendingPathComponent("universe.csv").path
        _ = FileManager.default.createFile(atPath: u, contents: Data(market.universeCSV().utf8))
        return (path, u)
    }

    /// Runs `Benchmarks/baselines/numpy_baseline.py` on the same data and reports its compute time.
    func runNumpy(loaded: LoadedData, fastOneThread: Double) throws -> BenchRecord {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (printsPath, universePath) = try csvFiles(of: loaded, in: dir)
        let script = Self.baselineScript()
        var arguments = [script, printsPath!, "--repeat", String(`repeat`)]
        if let universePath { arguments += ["--universe", universePath] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let line = String(data: output, encoding: .utf8)?.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let compute = object["compute_seconds"] as? Double
        else {
            throw ValidationError("numpy baseline failed (exit \(process.terminationStatus))")
        }
        var r = BenchRecord(
            dataset: loaded.name, path: "numpy-baseline", threads: 1, symbols: loaded.requests.count,
            prints: loaded.store.printCount, seconds: compute)
        r.printsPerSecond = Double(loaded.store.printCount) / compute
        r.symbolsPerSecond = Double(loaded.requests.count) / compute
        r.nsPerPrint = compute * 1e9 / Double(max(1, loaded.store.printCount))
        r.speedupOverReference = nil
        r.fastOverBaseline = compute / fastOneThread
        return r
    }

    /// The end-to-end stage: `deeper analyze`'s pipeline on a CSV file (the given one, or the
    /// generated dataset written to a temporary file and deleted afterwards), timed stage by
    /// stage, at each thread count (parse in chunks, group, compute: all on that many threads).
    /// One record per stage and one for the whole, each the median of `--repeat` runs. Every
    /// thread count must give the same result JSON, byte for byte.
    func endToEnd(loaded: LoadedData, parameters: AnalysisParameters, threadCounts: [Int]) throws -> [BenchRecord] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-bench-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (printsPath, universePath) = try csvFiles(of: loaded, in: dir)
        guard let printsPath else { throw ValidationError("no CSV for the end-to-end stage") }
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: printsPath)[.size] as? Int) ?? 0
        let clock = ContinuousClock()
        let rules = parameters.rules
        var records: [BenchRecord] = []
        var firstJSON: [UInt8]?
        for threads in threadCounts {
            log("end to end, \(threads) thread(s)…")
            let engine = BatchEngine(threads: threads)
            var stages: [String: [Double]] = [:]
            var cpu: [String: [Double]] = [:]
            var printCount = 0
            var symbolCount = 0
            for _ in 0..<`repeat` {
                var t = clock.now
                var c = processCPUSeconds()
                func lap(_ name: String) {
                    let now = clock.now
                    let cpuNow = processCPUSeconds()
                    stages[name, default: []].append((now - t).seconds)
                    cpu[name, default: []].append(cpuNow - c)
                    t = now
                    c = cpuNow
                }
                let started = t
                let cpuStarted = c
                let parsed = try PrintsCSVParts.read(contentsOfFile: printsPath, minLot: rules.minLot, threads: threads)
                var avgADV: [String: ExactDecimal] = [:]
                if let universePath {
                    for e in try UniverseCSV.read(contentsOfFile: universePath).entries {
                        if let a = e.avgADV { avgADV[e.symbol] = a }
                    }
                }
                lap("parse")
                let store = parsed.makeStore(rules: rules, threads: threads)
                lap("group")
                let names = parsed.symbols
                let requests = names.map { SymbolRequest(storeIndex: store.index(of: $0), avgADV: avgADV[$0]) }
                let metrics = engine.run(store: store, requests: requests, asOf: .last, parameters: parameters)
                lap("compute")
                let json = ResultJSON.jobResultBytes(
                    jobID: "bench", symbols: names, metrics: metrics, processedCount: names.count, finishedAt: 0)
                lap("json")
                stages["total", default: []].append((clock.now - started).seconds)
                cpu["total", default: []].append(processCPUSeconds() - cpuStarted)
                if firstJSON == nil { firstJSON = json }
                precondition(json == firstJSON, "end to end: the result differs between runs or thread counts")
                printCount = store.printCount
                symbolCount = names.count
            }
            func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
            let total = median(stages["total"]!)
            for name in ["parse", "group", "compute", "json", "total"] {
                let seconds = median(stages[name]!)
                var r = BenchRecord(
                    dataset: loaded.name, path: "e2e-\(name)", threads: threads, symbols: symbolCount,
                    prints: printCount, seconds: seconds)
                r.printsPerSecond = Double(printCount) / seconds
                r.nsPerPrint = seconds * 1e9 / Double(max(1, printCount))
                r.shareOfTotal = seconds / total
                r.cpuSeconds = median(cpu[name]!)
                if name == "parse" || name == "total" { r.parseMBPerSecond = Double(fileBytes) / seconds / 1e6 }
                records.append(r)
            }
        }
        return records
    }

    /// The baseline script, found beside the package (run from the repository or its build folder).
    static func baselineScript() -> String {
        let candidates = [
            "Benchmarks/baselines/numpy_baseline.py",
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("../../Benchmarks/baselines/numpy_baseline.py").path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }
}

extension PrintStore {
    /// The same symbols, each cut to its last print: a pass over it costs what a symbol costs
    /// apart from its prints (window searches, calendar, SRPAN's setup, assembling the result).
    func lastPrintOnly(rules: Rules) -> PrintStore {
        var prints: [RawPrint] = []
        for s in symbols.indices {
            guard let i = range(ofSymbol: s).last else { continue }
            prints.append(
                RawPrint(
                    symbol: Int32(s), time: columns.time[i], price: columns.price[i], size: columns.size[i],
                    venue: columns.venue[i]))
        }
        return PrintStore(prints: prints, symbols: symbols, venues: venues, rules: rules)
    }
}

/// One measured run, as a table row and a JSON record.
struct BenchRecord {
    var dataset: String
    var path: String
    var threads: Int
    var symbols: Int
    var prints: Int
    var seconds: Double
    var symbolsPerSecond: Double?
    var printsPerSecond: Double?
    var nsPerPrint: Double?
    var speedupOverReference: Double?
    var parallelEfficiency: Double?
    var bandwidthFraction: Double?
    var parseMBPerSecond: Double?
    var allocationsPerSymbol: Double?
    var fastOverBaseline: Double?
    /// Fast path with every symbol cut to its last print: core-µs per symbol (seconds × threads).
    var fixedMicrosPerSymbol: Double?
    /// An end-to-end stage's share of the end-to-end median.
    var shareOfTotal: Double?
    /// CPU seconds of the whole process (every thread, user and system) during the run: steadier
    /// than wall clock on a loaded machine, and the wall clock of a perfectly parallel stage
    /// times its threads.
    var cpuSeconds: Double?

    init(dataset: String, path: String, threads: Int, symbols: Int, prints: Int, seconds: Double) {
        self.dataset = dataset
        self.path = path
        self.threads = threads
        self.symbols = symbols
        self.prints = prints
        self.seconds = seconds
    }

    var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("dataset", dataset)
        w.field("path", path)
        w.field("threads", threads)
        w.field("symbols", symbols)
        w.field("prints", prints)
        w.field("seconds", seconds)
        w.field("symbols_per_s", symbolsPerSecond)
        w.field("prints_per_s", printsPerSecond)
        w.field("ns_per_print", nsPerPrint)
        w.field("speedup_over_reference", speedupOverReference)
        w.field("parallel_efficiency", parallelEfficiency)
        w.field("bandwidth_fraction", bandwidthFraction)
        w.field("parse_mb_per_s", parseMBPerSecond)
        w.field("allocations_per_symbol", allocationsPerSymbol)
        w.field("fast_1t_speedup_over_baseline", fastOverBaseline)
        w.field("fixed_us_per_symbol", fixedMicrosPerSymbol)
        w.field("share_of_total", shareOfTotal)
        w.field("cpu_seconds", cpuSeconds)
        w.endObject()
        return w.text
    }

    static func table(_ records: [BenchRecord]) -> String {
        func f(_ v: Double?, _ places: Int) -> String { v.map { Report.fixed($0, places) } ?? "" }
        let header = ["path", "thr", "symbols", "prints", "seconds", "Mprints/s", "ns/print", "×ref", "par.eff", "of bw", "MB/s", "allocs/sym", "×baseline", "fixed µs/sym", "share", "cpu s"]
        var rows = [header]
        for r in records {
            rows.append([
                r.path, String(r.threads), String(r.symbols), String(r.prints), f(r.seconds, 4),
                f(r.printsPerSecond.map { $0 / 1e6 }, 1), f(r.nsPerPrint, 2), f(r.speedupOverReference, 1),
                f(r.parallelEfficiency, 2), f(r.bandwidthFraction, 2), f(r.parseMBPerSecond, 0),
                f(r.allocationsPerSymbol, 4), f(r.fastOverBaseline, 1), f(r.fixedMicrosPerSymbol, 3),
                r.shareOfTotal.map { "\(Int(($0 * 100).rounded()))%" } ?? "", f(r.cpuSeconds, 3),
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { row in
            row.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i == 0 ? c + pad : pad + c
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
