import ArgumentParser
import DeeperCLI
import DeeperData
import DeeperKernels
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write realistic synthetic prints of US preferreds as CSV to stdout (deterministic per seed).",
        discussion: """
            Prices $11–$30 on a cent grid with occasional sub-penny FINRA prints,
            bouncing between a bid and an ask on a slow random walk; avg_adv
            log-normal (median ≈ 14,000 shares); about avg_adv / 300 prints a day;
            sizes from odd lots to rare blocks above avg_adv; venues ≈ 40% FNRA,
            the rest lit or empty; times in NYSE sessions, a few outside.

            Examples:
              deeper generate --symbols 40 --universe-out universe.csv > prints.csv
              deeper generate --symbols 2000 --prints-per-day 1600 > scale.csv
            """
    )

    @Option(help: "Number of symbols.")
    var symbols: Int = 40

    @Option(help: "Number of NYSE trading days, ending on or before --end.")
    var days: Int = 5

    @Option(help: ArgumentHelp("Last calendar day of the tape (YYYY-MM-DD).", valueName: "DATE"))
    var end: String = "2025-11-21"

    @Option(help: "Random seed; the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(name: .customLong("prints-per-day"), help: "Mean prints per symbol per day (default: avg_adv / 300, ≈ 80).")
    var printsPerDay: Double?

    @Option(name: .customLong("universe-out"), help: ArgumentHelp("Also write the universe CSV (symbol,avg_adv,group) here.", valueName: "FILE"))
    var universeOut: String?

    func validate() throws {
        if symbols < 1 { throw ValidationError("--symbols must be at least 1") }
        if days < 1 { throw ValidationError("--days must be at least 1") }
        if CivilDate(iso: end) == nil { throw ValidationError("--end must be a date like 2025-11-21") }
        if let printsPerDay, !(printsPerDay > 0) { throw ValidationError("--prints-per-day must be positive") }
    }

    func run() throws {
        let market = SyntheticMarket(
            .init(symbols: symbols, tradingDays: days, end: CivilDate(iso: end)!, seed: seed, printsPerSymbolDay: printsPerDay))
        if let universeOut {
            guard FileManager.default.createFile(atPath: universeOut, contents: Data(market.universeCSV().utf8)) else {
                printError("deeper: cannot write \(universeOut)")
                throw ExitStatus.cannotCreate
            }
        }
        let out = FileHandle.standardOutput
        market.writeCSV { chunk in out.write(Data(chunk)) }
    }
}
