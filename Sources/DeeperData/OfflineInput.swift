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
    /// Lines skipped under `skipInvalid` (empty otherwise).
    public var skipped: CSVErrors

    /// - Throws: `CSVFileError` (cannot read), `CSVLineError` (bad header or universe line),
    ///   `CSVErrors` (malformed prints lines, unless `skipInvalid`).
    public static func load(printsPath: String, universePath: String?, rules: Rules, skipInvalid: Bool) throws
        -> OfflineInput
    {
        let parsed = try PrintsCSV.read(contentsOfFile: printsPath)
        if parsed.errorCount > 0 && !skipInvalid {
            throw CSVErrors(errors: parsed.errors, count: parsed.errorCount)
        }
        var avgADV: [String: ExactDecimal] = [:]
        if let universePath {
            let universe = try UniverseCSV.read(contentsOfFile: universePath)
            for entry in universe.entries { if let a = entry.avgADV { avgADV[entry.symbol] = a } }
        }
        let store = PrintStore(
            prints: parsed.prints, symbols: parsed.symbols.names, venues: parsed.venues.names, rules: rules)
        return OfflineInput(
            store: store, avgADV: avgADV, symbols: parsed.symbols.names,
            skipped: CSVErrors(errors: parsed.errors, count: parsed.errorCount))
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
