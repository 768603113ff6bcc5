import ArgumentParser
import DeeperCLI
import DeeperData
import DeeperKernels
import Foundation

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every kernel on a prints CSV file; no services needed.",
        discussion: """
            PRINTS.csv has the header symbol,time,price,size[,venue] in any order;
            extra columns are ignored. time is ISO-8601 with Z or ±HH:MM, or epoch
            milliseconds. The universe file (symbol,avg_adv[,group]) gives avg_adv
            for RWVAP's extreme-print threshold.

            Examples:
              deeper analyze fixtures/sample-prints.csv \\
                  --universe fixtures/sample-universe.csv
              deeper analyze prints.csv --as-of 2025-11-21T16:00:00-05:00 \\
                  --format json --output out.json
              deeper analyze prints.csv --symbols "AHL PRF,GAINN" --detail \\
                  --format json

            Exit status: 0 ok; 64 bad usage; 65 malformed input line (reported as
            file:line: column: reason); 66 unreadable input; 73 unwritable
            output; 78 bad rules file.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @Argument(help: ArgumentHelp("Prints CSV file.", valueName: "PRINTS.csv"))
    var prints: String

    @Option(help: ArgumentHelp("Universe CSV with avg_adv per symbol.", valueName: "U.csv"))
    var universe: String?

    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "\"Now\": last (each symbol's latest eligible print), an ISO-8601 instant, or epoch ms.",
            valueName: "last|ISO-8601|epoch-ms"))
    var asOf: AsOfArgument = .last

    @Option(name: .customLong("history-cap"), help: "Keep only the last N eligible prints per symbol (0 = all). Overrides the rules file.")
    var historyCap: Int?

    @Option(help: ArgumentHelp("YAML rules file (default: $DEEPER_RULES, else built-in).", valueName: "FILE"))
    var rules: String?

    @Option(help: ArgumentHelp("Only these symbols, comma-separated.", valueName: "A,B"))
    var symbols: String?

    @Option(help: "Output format.")
    var format: Format = .table

    @Flag(help: "Add top_prices (5 heaviest prices) to every GRPAN window in JSON.")
    var detail = false

    @Option(help: "Show only the N symbols with the largest |god| (table and csv).")
    var top: Int?

    @Option(help: "Threads for parsing, grouping and computing (default: every core).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write the output here instead of stdout.", valueName: "FILE"))
    var output: String?

    @Flag(name: .customLong("skip-invalid"), help: "Skip malformed lines (reported on stderr) instead of failing.")
    var skipInvalid = false

    func validate() throws {
        if let historyCap, historyCap < 0 { throw ValidationError("--history-cap must be 0 or more") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var rules = try loadRules(path: self.rules)
        if let historyCap { rules.historyCap = historyCap }
        let requested = try symbols.map(parseSymbolList)
        let clock = ContinuousClock()
        let started = clock.now
        let progress = ProgressLine(enabled: stderrIsTerminal)

        progress.show("parsing \(prints)…")
        let input: OfflineInput
        do {
            input = try OfflineInput.load(
                printsPath: prints, universePath: universe, rules: rules, skipInvalid: skipInvalid, threads: threads)
        } catch let error as CSVFileError {
            progress.clear()
            printError("deeper: \(error)")
            throw ExitStatus.noInput
        } catch let error as CSVLineError {
            // No usable header (an empty file, a missing column): as malformed as a bad line.
            progress.clear()
            printError("deeper: \(error)")
            throw ExitStatus.dataError
        } catch let error as CSVErrors {
            progress.clear()
            for e in error.errors.prefix(10) { printError("deeper: \(e)") }
            if error.count > 10 { printError("deeper: … and \(error.count - 10) more malformed lines") }
            printError("deeper: malformed input; fix it or pass --skip-invalid")
            throw ExitStatus.dataError
        }
        if input.skipped.count > 0 {
            progress.clear()
            printError("deeper: skipped \(input.skipped.count) malformed line(s); the first:")
            for e in input.skipped.errors.prefix(10) { printError("  \(e)") }
        }

        let parameters = AnalysisParameters(rules: rules, detail: detail)
        let (names, requests) = input.requests(for: requested)
        let engine = BatchEngine(threads: threads)
        let total = names.count
        progress.show("computing \(total) symbols on \(engine.threads) threads…")
        var report: (@Sendable (Int) -> Void)? = nil
        if progress.enabled {
            report = { [progress] (done: Int) in progress.show("computed \(done)/\(total) symbols") }
        }
        let metrics = engine.run(
            store: input.store, requests: requests, asOf: asOf.asOf, parameters: parameters, progress: report)
        progress.clear()

        let text: String
        switch format {
        case .table: text = Report.table(symbols: names, metrics: metrics, top: top)
        case .csv: text = Report.csv(symbols: names, metrics: metrics, top: top)
        case .json:
            let now = WallClock.now()
            text = ResultJSON.jobResult(
                jobID: "local", symbols: names, metrics: metrics, processedCount: names.count, finishedAt: now) + "\n"
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                printError("deeper: cannot write \(output)")
                throw ExitStatus.cannotCreate
            }
        } else {
            print(text, terminator: "")
        }
        let seconds = started.duration(to: clock.now).seconds
        let printCount = input.store.printCount
        printError(
            "deeper: \(total) symbols, \(printCount) eligible prints (\(input.store.ineligibleCount) below min_lot), "
                + "\(Report.fixed(seconds, 3)) s, \(Report.fixed(Double(printCount) / max(seconds, 1e-9) / 1e6, 2))M prints/s")
    }
}

/// A one-line status on stderr, redrawn in place; silent unless stderr is a terminal.
final class ProgressLine: Sendable {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }
    func show(_ text: String) {
        guard enabled else { return }
        var e = StandardError()
        e.write("\r\u{1B}[K" + text)
    }
    func clear() {
        guard enabled else { return }
        var e = StandardError()
        e.write("\r\u{1B}[K")
    }
}
