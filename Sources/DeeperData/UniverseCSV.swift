import DeeperKernels

/// What a universe file says about one symbol (SPEC §1.2).
public struct UniverseEntry: Sendable, Equatable {
    public var symbol: String
    /// Average daily volume in shares; nil when unknown (empty in the file).
    public var avgADV: ExactDecimal?
    /// Free text; nil when empty or when the file has no `group` column.
    public var group: String?

    public init(symbol: String, avgADV: ExactDecimal?, group: String?) {
        self.symbol = symbol
        self.avgADV = avgADV
        self.group = group
    }
}

/// A universe CSV file, parsed (SPEC §1.3).
///
/// The header names `symbol` and `avg_adv`, optionally `group`, in any order and letter case;
/// other columns (such as `last_price`) are ignored. Errors work as in `PrintsCSV`: each bad
/// line is counted and skipped, the first `maxStoredErrors` are kept, and only a file without
/// a usable header throws. A symbol listed twice is an error on its second line; the first
/// entry stays.
public struct UniverseCSV: Sendable {
    /// Valid entries in file order.
    public var entries: [UniverseEntry]
    /// Physical lines in the file.
    public var lineCount: Int
    /// The first `maxStoredErrors` malformed lines, in file order.
    public var errors: [CSVLineError]
    /// All malformed lines, including those not kept in `errors`.
    public var errorCount: Int

    private var index: [String: Int]

    /// The entry for `symbol`, if the file lists it.
    public func entry(for symbol: String) -> UniverseEntry? {
        index[symbol].map { entries[$0] }
    }

    // MARK: - Entry points

    /// Parses a whole file's bytes.
    ///
    /// - Parameters:
    ///   - fileName: used in error messages only.
    ///   - maxStoredErrors: how many errors to keep in `errors` (all are counted).
    /// - Throws: `CSVLineError` when there is no header, the header lacks a required column or
    ///   names one twice, or its quoting is broken.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, fileName: String,
        maxStoredErrors: Int = PrintsCSV.defaultMaxStoredErrors
    ) throws(CSVLineError) -> UniverseCSV {
        var result: Result<UniverseCSV, CSVLineError>!
        _withLFLineEndings(bytes) { input in
            var tokenizer = _UnsafeCSVTokenizer(input)
            result = Result { () throws(CSVLineError) in
                try read(&tokenizer, fileName: fileName, maxStoredErrors: maxStoredErrors)
            }
        }
        return try result.get()
    }

    /// Parses a whole file's bytes; see `parse(_:fileName:maxStoredErrors:)`.
    public static func parse(
        _ bytes: [UInt8], fileName: String, maxStoredErrors: Int = PrintsCSV.defaultMaxStoredErrors
    ) throws(CSVLineError) -> UniverseCSV {
        var result: Result<UniverseCSV, CSVLineError>!
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(CSVLineError) in
                try parse(raw, fileName: fileName, maxStoredErrors: maxStoredErrors)
            }
        }
        return try result.get()
    }

    /// Parses CSV text; see `parse(_:fileName:maxStoredErrors:)`.
    public static func parse(
        _ text: String, fileName: String, maxStoredErrors: Int = PrintsCSV.defaultMaxStoredErrors
    ) throws(CSVLineError) -> UniverseCSV {
        try parse(Array(text.utf8), fileName: fileName, maxStoredErrors: maxStoredErrors)
    }

    /// Reads and parses the file at `path`, which is also the name used in error messages.
    ///
    /// - Throws: `CSVFileError` when the file cannot be read, `CSVLineError` as `parse` does.
    public static func read(
        contentsOfFile path: String, maxStoredErrors: Int = PrintsCSV.defaultMaxStoredErrors
    ) throws -> UniverseCSV {
        try _withFileBytes(path) { raw throws(CSVLineError) in
            try parse(raw, fileName: path, maxStoredErrors: maxStoredErrors)
        }
    }

    // MARK: - Reading

    private static func read(
        _ tok: inout _UnsafeCSVTokenizer, fileName: String, maxStoredErrors: Int
    ) throws(CSVLineError) -> UniverseCSV {
        guard tok.readHeader() else {
            throw CSVLineError(file: fileName, line: 1, column: "", reason: "no header line")
        }
        let wanted = ["symbol", "avg_adv", "group"]
        let map = try _CSVColumnMap(header: tok, required: ["symbol", "avg_adv"], optional: ["group"], file: fileName)
        var names = (0..<map.width).map { tok.string($0) }
        for (k, name) in wanted.enumerated() {
            if let i = map.index[k] { names[i] = name }
        }
        let symbolColumn = map.index[0]!
        let advColumn = map.index[1]!
        let groupColumn = map.index[2]

        var log = _CSVErrorLog(file: fileName, limit: maxStoredErrors)
        var entries: [UniverseEntry] = []
        var index: [String: Int] = [:]
        var firstLine: [String: Int] = [:]

        func report(_ problem: _CSVFieldProblem, _ column: Int, _ b: UnsafeBufferPointer<UInt8>, _ line: Int) {
            log.add(line: line, column: names[column], reason: "\(problem.reason) (\(_quotedForError(b)))")
        }

        while tok.nextRecord() {
            if tok.isBlankRecord { continue }
            let line = tok.recordLine
            if let (column, reason) = tok.shapeError(width: map.width, names: { names[$0] }) {
                log.add(line: line, column: column, reason: reason)
                continue
            }
            let symbolBytes = tok.bytes(of: tok.field(symbolColumn))
            do throws(_CSVFieldProblem) {
                try _CSVFieldParsers.validateSymbol(symbolBytes)
            } catch {
                report(error, symbolColumn, symbolBytes, line)
                continue
            }
            let symbol = String(decoding: symbolBytes, as: UTF8.self)

            let advBytes = tok.bytes(of: tok.field(advColumn))
            var avgADV: ExactDecimal? = nil
            if !advBytes.isEmpty {
                do throws(_CSVFieldProblem) {
                    avgADV = try _CSVFieldParsers.parsePositiveDecimal(advBytes)
                } catch {
                    report(error, advColumn, advBytes, line)
                    continue
                }
            }

            var group: String? = nil
            if let groupColumn {
                let groupBytes = tok.bytes(of: tok.field(groupColumn))
                if !groupBytes.isEmpty {
                    do throws(_CSVFieldProblem) {
                        group = try _CSVFieldParsers.text(groupBytes)
                    } catch {
                        report(error, groupColumn, groupBytes, line)
                        continue
                    }
                }
            }

            if let first = firstLine[symbol] {
                log.add(
                    line: line, column: "symbol",
                    reason: "symbol already listed on line \(first) (\(_quotedForError(symbolBytes)))")
                continue
            }
            firstLine[symbol] = line
            index[symbol] = entries.count
            entries.append(UniverseEntry(symbol: symbol, avgADV: avgADV, group: group))
        }
        return UniverseCSV(
            entries: entries, lineCount: tok.physicalLineCount, errors: log.stored, errorCount: log.count,
            index: index)
    }
}
