import DeeperKernels

/// A prints CSV file parsed in chunks on several threads, the chunks' prints kept apart until
/// `makeStore` scatters them straight into a `PrintStore`'s columns (SPEC §1.3).
///
/// The file is cut at line starts into one chunk a thread; each chunk is parsed on its own, with
/// symbols and venues interned per chunk, then merged: ids in first-seen order over the file,
/// errors with their file line and in file order, counts summed. Everything but the time it takes
/// is as if one thread had read the file from start to end: the same prints, ids, errors (the
/// first error in file order comes first, whichever chunk found it) and counts, for any number
/// of threads. A file where a quoted field spans lines (where a line start may be inside quotes)
/// or with more than 65,535 venues is read again on one thread.
///
/// ```swift
/// let parsed = try PrintsCSVParts.read(contentsOfFile: "prints.csv", minLot: rules.minLot, threads: 2)
/// if parsed.errorCount > 0 { for e in parsed.errors.prefix(10) { print(e) } }
/// let store = parsed.makeStore(rules: rules, threads: 2)
/// ```
public struct PrintsCSVParts: Sendable {
    /// The valid prints chunk by chunk, in file order, with ids local to their chunk; prints
    /// below `minLot` are counted in `ineligibleCount` and not kept.
    public var parts: [RawPrintPart]
    /// Symbols of valid prints (eligible or not), in first-seen order over the file.
    public var symbols: [String]
    /// Venues of valid prints, upper-cased, in first-seen order; id 0 is always "" (unknown).
    public var venues: [String]
    /// The `min_lot` prints were kept against (nil: every valid print was kept).
    public var minLot: Int32?
    /// Valid prints below `minLot`, not kept.
    public var ineligibleCount: Int
    /// Physical lines in the file (LFs, plus one for a last line without an LF).
    public var lineCount: Int
    /// Records after the header that are not blank: valid prints plus malformed lines.
    public var recordCount: Int
    /// The first `maxStoredErrors` malformed lines, in file order.
    public var errors: [CSVLineError]
    /// All malformed lines (one error per line), including those not kept in `errors`.
    public var errorCount: Int

    /// A chunk smaller than this is not worth a thread of its own.
    public static let defaultMinimumChunkBytes = 1 << 20
    /// Chunks a thread when there are several threads.
    static let chunksPerThread = 4

    /// Reads and parses the file at `path`, which is also the name used in error messages.
    ///
    /// - Parameters:
    ///   - minLot: keep only prints of at least this size (`Rules.minLot`), counting the others
    ///     in `ineligibleCount`; nil keeps every valid print.
    ///   - threads: how many chunks to parse at once (a few chunks a thread, none smaller than
    ///     `defaultMinimumChunkBytes` unless it is the only one).
    ///   - maxStoredErrors: how many errors to keep in `errors` (all are counted).
    ///   - notAfter: as for `PrintsCSV.parse`.
    /// - Throws: `CSVFileError` when the file cannot be read, `CSVLineError` as `PrintsCSV.parse` does.
    public static func read(
        contentsOfFile path: String, minLot: Int32?, threads: Int,
        maxStoredErrors: Int = PrintsCSV.defaultMaxStoredErrors, notAfter: FutureLimit? = nil
    ) throws -> PrintsCSVParts {
        try _withFileBytes(path) { raw throws(CSVLineError) in
            try parse(
                raw, fileName: path, maxStoredErrors: maxStoredErrors, notAfter: notAfter, minLot: minLot,
                threads: threads)
        }
    }

    /// Parses a whole file's bytes; see `read(contentsOfFile:minLot:threads:maxStoredErrors:notAfter:)`.
    ///
    /// - Parameters:
    ///   - chunks: how many chunks to cut the file in (nil: a few a thread when there are several
    ///     threads, else one); fewer when the file is small.
    ///   - minimumChunkBytes: the smallest chunk worth a thread (tests and the fuzz target cut
    ///     tiny files into many chunks with 1).
    ///   - simpleRecordFastPath: false reads every record through the general path, which the
    ///     fast path for simple records (`_PrintsReader.readSimpleRecord`) must equal: tests and
    ///     the fuzz target compare the two.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, fileName: String, maxStoredErrors: Int = PrintsCSV.defaultMaxStoredErrors,
        notAfter: FutureLimit? = nil, minLot: Int32?, threads: Int, chunks: Int? = nil,
        minimumChunkBytes: Int = defaultMinimumChunkBytes, simpleRecordFastPath: Bool = true
    ) throws(CSVLineError) -> PrintsCSVParts {
        var result: Result<PrintsCSVParts, CSVLineError>!
        _withLFLineEndings(bytes) { input in
            result = Result { () throws(CSVLineError) in
                var header = try _PrintsHeader(
                    input, fileName: fileName, maxStoredErrors: maxStoredErrors, notAfter: notAfter)
                header.simpleRecordFastPath = simpleRecordFastPath
                // A few chunks a thread, so that a thread the system runs less takes fewer.
                let bounds = _chunkBounds(
                    input, from: header.bodyStart, chunks: chunks ?? (threads > 1 ? threads * chunksPerThread : 1),
                    minimumBytes: max(1, minimumChunkBytes))
                var parsed = parseChunks(input, bounds, header: header, minLot: minLot, threads: threads)
                if parsed == nil {
                    // A quoted line break or the venue limit: what a chunk saw may depend on the
                    // lines before it, so read the body in one piece.
                    let whole = [header.bodyStart..<input.count]
                    parsed = parseChunks(input, whole, header: header, minLot: minLot, threads: 1)
                }
                return parsed!
            }
        }
        return try result.get()
    }

    /// Parses the chunks on up to `threads` threads and merges them; nil when the chunks cannot
    /// be trusted to read as the whole file would (see `_PrintsChunk.dependsOnEarlierLines`).
    private static func parseChunks(
        _ input: UnsafeBufferPointer<UInt8>, _ chunks: [Range<Int>], header: _PrintsHeader, minLot: Int32?,
        threads: Int
    ) -> PrintsCSVParts? {
        let shared = _SharedInput(input)
        let results = Parallel.map(chunks.count, threads: threads) { c in
            let r = chunks[c]
            let slice = UnsafeBufferPointer(rebasing: shared.input[r])
            let reader = _PrintsReader(slice, header: header, minLot: minLot ?? .min)
            return reader.run()
        }
        if results.count > 1 && results.contains(where: \.dependsOnEarlierLines) { return nil }
        return merge(results, header: header, input: input, minLot: minLot)
    }

    /// The chunks as one file: symbols and venues interned in chunk order (so first-seen order
    /// over the file), each chunk's ids mapped to those; errors moved to their file lines.
    private static func merge(
        _ chunks: [_PrintsChunk], header: _PrintsHeader, input: UnsafeBufferPointer<UInt8>, minLot: Int32?
    ) -> PrintsCSVParts? {
        var symbols = InternTable()
        var venues = InternTable([""])
        var parts: [RawPrintPart] = []
        var errors: [CSVLineError] = []
        var errorCount = 0
        var recordCount = 0
        var ineligible = 0
        var linesBefore = header.lineBreaks
        for chunk in chunks {
            let symbolIDs = chunk.symbols.map { Int32(symbols.intern($0)) }
            let venueIDs = chunk.venues.map { venues.intern($0) }
            if venues.count > Int(UInt16.max) + 1 { return nil }
            parts.append(
                RawPrintPart(
                    prints: chunk.prints, symbolIDs: symbolIDs, venueIDs: venueIDs.map { UInt16($0) },
                    eligibleCounts: minLot.map { ($0, chunk.counts) }, droppedIneligible: chunk.ineligible))
            for var e in chunk.errors.prefix(header.maxStoredErrors - errors.count) {
                e.line += linesBefore
                errors.append(e)
            }
            errorCount += chunk.errorCount
            recordCount += chunk.recordCount
            ineligible += chunk.ineligible
            linesBefore += chunk.lineBreaks
        }
        let lineCount = linesBefore + (input.last.map { $0 == _lf ? 0 : 1 } ?? 0)
        return PrintsCSVParts(
            parts: parts, symbols: symbols.names, venues: venues.names, minLot: minLot, ineligibleCount: ineligible,
            lineCount: lineCount, recordCount: recordCount, errors: errors, errorCount: errorCount)
    }

    /// The store of the file's eligible prints, scattered from the parts on up to `threads` threads.
    ///
    /// - Precondition: `rules.minLot` is the `minLot` the file was parsed with (or that was nil).
    public func makeStore(rules: Rules, threads: Int) -> PrintStore {
        precondition(minLot == nil || minLot == rules.minLot, "parsed against another min_lot")
        return PrintStore(parts: parts, symbols: symbols, venues: venues, rules: rules, threads: threads)
    }

    /// The file as `PrintsCSV`: every part's prints in order, with the file's ids.
    func joined() -> PrintsCSV {
        var prints: [RawPrint]
        if parts.count == 1 {
            // One chunk interned in file order already: its ids are the file's.
            prints = parts[0].prints
        } else {
            prints = []
            prints.reserveCapacity(parts.reduce(0) { $0 + $1.prints.count })
            for part in parts {
                for var p in part.prints {
                    p.symbol = part.symbolIDs[Int(p.symbol)]
                    p.venue = part.venueIDs[Int(p.venue)]
                    prints.append(p)
                }
            }
        }
        return PrintsCSV(
            prints: prints, symbols: InternTable(symbols), venues: InternTable(venues), lineCount: lineCount,
            recordCount: recordCount, errors: errors, errorCount: errorCount)
    }
}

// MARK: - Pieces

/// What every chunk needs to know of the file: its header (column positions and names) and the
/// reading options. Parsed once, on the whole file.
struct _PrintsHeader: Sendable {
    let fileName: String
    let maxStoredErrors: Int
    /// Prints stamped later than this are refused (`Int64.max`: no limit).
    let latestTime: Int64
    let futureReason: String
    /// Fields a record must have, and where the wanted ones are (`venue` -1 when absent).
    let width: Int
    let symbol: Int
    let time: Int
    let price: Int
    let size: Int
    let venue: Int
    /// Column names as errors spell them, per field index.
    let names: [String]
    /// Where the first record after the header starts, and the LFs before it.
    let bodyStart: Int
    let lineBreaks: Int
    /// Whether simple records take the reader's fast path (false: tests of its twin).
    var simpleRecordFastPath = true

    private static let columns = ["symbol", "time", "price", "size"]

    /// Reads the header of `input`.
    ///
    /// - Throws: `CSVLineError` when there is no header, it lacks a required column or names
    ///   one twice, or its quoting is broken.
    init(_ input: UnsafeBufferPointer<UInt8>, fileName: String, maxStoredErrors: Int, notAfter: FutureLimit?)
        throws(CSVLineError)
    {
        precondition(maxStoredErrors >= 0, "maxStoredErrors must not be negative")
        var tokenizer = _UnsafeCSVTokenizer(input)
        guard tokenizer.readHeader() else {
            throw CSVLineError(file: fileName, line: 1, column: "", reason: "no header line")
        }
        let map = try _CSVColumnMap(header: tokenizer, required: Self.columns, optional: ["venue"], file: fileName)
        var names = (0..<map.width).map { tokenizer.string($0) }
        for (k, name) in (Self.columns + ["venue"]).enumerated() {
            if let i = map.index[k] { names[i] = name }
        }
        self.fileName = fileName
        self.maxStoredErrors = maxStoredErrors
        latestTime = notAfter?.latest ?? .max
        futureReason = notAfter?.tolerance.reason ?? ""
        width = map.width
        symbol = map.index[0]!
        time = map.index[1]!
        price = map.index[2]!
        size = map.index[3]!
        venue = map.index[4] ?? -1
        self.names = names
        bodyStart = tokenizer.position
        lineBreaks = tokenizer.line - 1
    }
}

/// One chunk as its reader left it: ids local to the chunk, error lines counted from its start.
struct _PrintsChunk: Sendable {
    var prints: [RawPrint]
    var symbols: [String]
    var venues: [String]
    /// Kept prints per local symbol id.
    var counts: [Int]
    var ineligible: Int
    /// LFs in the chunk (its lines, when it ends with one).
    var lineBreaks: Int
    var recordCount: Int
    var errors: [CSVLineError]
    var errorCount: Int
    var sawLineBreakInQuotes: Bool
    var refusedVenueBeyondLimit: Bool

    /// Whether what the chunk read may depend on the lines before it: a line start inside a
    /// quoted field, or a venue refused for a limit the file as a whole counts.
    var dependsOnEarlierLines: Bool { sawLineBreakInQuotes || refusedVenueBeyondLimit }
}

/// The file's bytes handed to the chunk readers' threads.
///
/// `@unchecked Sendable`: the bytes are only read, and they outlive the threads (the parse
/// returns after them).
struct _SharedInput: @unchecked Sendable {
    let input: UnsafeBufferPointer<UInt8>
    init(_ input: UnsafeBufferPointer<UInt8>) { self.input = input }
}

/// Cuts `input[start...]` into at most `chunks` ranges of about equal size, each ending just
/// after an LF (the last at the end of the input), none smaller than `minimumBytes` unless it
/// is the only one.
func _chunkBounds(_ input: UnsafeBufferPointer<UInt8>, from start: Int, chunks: Int, minimumBytes: Int) -> [Range<Int>] {
    let n = input.count
    let count = max(1, min(chunks, (n - start) / minimumBytes))
    var bounds: [Range<Int>] = []
    var lower = start
    for k in 1..<count {
        var cut = max(lower, start + (n - start) * k / count)
        while cut < n && input[cut] != _lf { cut += 1 }
        if cut >= n - 1 { break }
        bounds.append(lower..<(cut + 1))
        lower = cut + 1
    }
    bounds.append(lower..<n)
    return bounds
}
