import DeeperKernels

/// Malformed lines found in strict mode: the first ones (file, line, column, reason) and how many.
public struct CSVErrors: Error, Sendable {
    public var errors: [CSVLineError]
    public var count: Int
}

/// A prints file (and optional universe) loaded into a `PrintStore`: what `deeper analyze` and
/// the benchmarks compute on.
public struct OfflineInput: Sendable {
    public var store: PrintStore
    /// avg_adv by symbol, from the universe file.
    public var avgADV: [String: ExactDecimal]
    /// Every symbol of the prints file, in first-seen order (ineligible-only symbols included).
    public var symbols: [String]
    /// Lines of the prints file, then of the universe file, skipped under `skipInvalid` (empty
    /// otherwise).
    public var skipped: CSVErrors

    /// - Throws: `CSVFileError` (cannot read), `CSVLineError` (a file without a usable header),
    ///   `CSVErrors` (malformed prints or universe lines, unless `skipInvalid`).
    ///
    /// - Parameter threads: threads for parsing the prints file (in chunks) and grouping its
    ///   prints; nil or 0 = every core. The result is the same for any number.
    public static func load(
        printsPath: String, universePath: String?, rules: Rules, skipInvalid: Bool, threads: Int? = nil
    ) throws -> OfflineInput {
        let threads = threads.flatMap { $0 > 0 ? $0 : nil } ?? BatchEngine.coreCount
        let parsed = try PrintsCSVParts.read(contentsOfFile: printsPath, minLot: rules.minLot, threads: threads)
        var malformed = CSVErrors(errors: parsed.errors, count: parsed.errorCount)
        var avgADV: [String: ExactDecimal] = [:]
        if let universePath {
            // A malformed universe line (or a symbol listed twice) follows the prints' rule: it
            // stops the run unless skipInvalid, and is reported either way; never silently lost.
            let universe = try UniverseCSV.read(contentsOfFile: universePath)
            malformed.errors += universe.errors
            malformed.count += universe.errorCount
            for entry in universe.entries { if let a = entry.avgADV { avgADV[entry.symbol] = a } }
        }
        if malformed.count > 0 && !skipInvalid { throw malformed }
        let store = parsed.makeStore(rules: rules, threads: threads)
        return OfflineInput(store: store, avgADV: avgADV, symbols: parsed.symbols, skipped: malformed)
    }

    public init(store: PrintStore, avgADV: [String: ExactDecimal], symbols: [String], skipped: CSVErrors) {
        self.store = store
        self.avgADV = avgADV
        self.symbols = symbols
        self.skipped = skipped
    }

    /// The symbols to compute (those named, else every symbol of the file) and their requests.
    public func requests(for names: [String]?) -> (symbols: [String], requests: [SymbolRequest]) {
        let chosen = names ?? symbols
        return (chosen, chosen.map { SymbolRequest(storeIndex: store.index(of: $0), avgADV: avgADV[$0]) })
    }
}
