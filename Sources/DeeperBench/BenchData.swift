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

    /// Runs `Benchmarks/baselines/numpy_baseline.py` on the same data and reports its compute time.
    func runNumpy(loaded: LoadedData, fastOneThread: Double) throws -> BenchRecord {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var printsPath = loaded.csvPath
        var universePath = loaded.universePath
        if let market = loaded.market {
            let path = dir.appendingPathComponent("prints.csv").path
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = FileHandle(forWritingAtPath: path)!
            market.writeCSV { chunk in handle.write(Data(chunk)) }
            try handle.close()
            let u = dir.appendingPathComponent("universe.csv").path
            _ = FileManager.default.createFile(atPath: u, contents: Data(market.universeCSV().utf8))
            printsPath = path
            universePath = u
        }
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
        w.endObject()
        return w.text
    }

    static func table(_ records: [BenchRecord]) -> String {
        func f(_ v: Double?, _ places: Int) -> String { v.map { Report.fixed($0, places) } ?? "" }
        let header = ["path", "thr", "symbols", "prints", "seconds", "Mprints/s", "ns/print", "×ref", "par.eff", "of bw", "MB/s", "allocs/sym", "×baseline"]
        var rows = [header]
        for r in records {
            rows.append([
                r.path, String(r.threads), String(r.symbols), String(r.prints), f(r.seconds, 4),
                f(r.printsPerSecond.map { $0 / 1e6 }, 1), f(r.nsPerPrint, 2), f(r.speedupOverReference, 1),
                f(r.parallelEfficiency, 2), f(r.bandwidthFraction, 2), f(r.parseMBPerSecond, 0),
                f(r.allocationsPerSymbol, 4), f(r.fastOverBaseline, 1),
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
