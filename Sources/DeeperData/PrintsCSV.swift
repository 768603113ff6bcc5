import DeeperKernels

/// A prints CSV file, parsed (SPEC §1.3).
///
/// The header names the columns `symbol`, `time`, `price`, `size` and, optionally, `venue`, in
/// any order and any letter case; other columns are ignored. Every other line is a print.
/// A line that breaks a rule of SPEC §1 is not a print: it is counted in `errorCount`, the first
/// `maxStoredErrors` of them are kept in `errors`, and parsing goes on. So the caller chooses:
/// refuse the file when `errorCount > 0` (strict), or use `prints` and report what was skipped.
/// Only a file without a usable header throws.
///
/// ```swift
/// let parsed = try PrintsCSV.read(contentsOfFile: "prints.csv")
/// if parsed.errorCount > 0 { for e in parsed.errors.prefix(10) { print(e) } }
/// ```
public struct PrintsCSV: Sendable {
    /// The valid prints in file order. `symbol` indexes `symbols`, `venue` indexes `venues`.
    public var prints: [RawPrint]
    /// Symbols of valid prints, in first-seen order.
    public var symbols: InternTable
    /// Venues of valid prints, upper-cased, in first-seen order; id 0 is always "" (unknown).
    public var venues: InternTable
    /// Physical lines in the file (LFs, plus one for a last line without an LF).
    public var lineCount: Int
    /// Records after the header that are not blank: valid prints plus malformed lines.
    public var recordCount: Int
    /// The first `maxStoredErrors` malformed lines, in file order.
    public var errors: [CSVLineError]
    /// All malformed lines (one error per line), including those not kept in `errors`.
    public var errorCount: Int

    /// How many errors `parse` keeps unless told otherwise.
    public static let defaultMaxStoredErrors = 1000

    // MARK: - Entry points

    /// Parses a whole file's bytes.
    ///
    /// - Parameters:
    ///   - fileName: used in error messages only.
    ///   - maxStoredErrors: how many errors to keep in `errors` (all are counted).
    ///   - notAfter: when given (a live feed), a print stamped after its `latest` is a malformed
    ///     line (`column time: more than 300 s ahead of the clock (MAX_FUTURE)`).
    ///   - threads: parse the file in this many chunks at once (see `PrintsCSVParts`); the
    ///     result is the same for any number.
    /// - Throws: `CSVLineError` when there is no header, the header lacks a required column or
    ///   names one twice, or its quoting is broken.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, fileName: String, maxStoredErrors: Int = defaultMaxStoredErrors,
        notAfter: FutureLimit? = nil, threads: Int = 1
    ) throws(CSVLineError) -> PrintsCSV {
        try PrintsCSVParts.parse(
            bytes, fileName: fileName, maxStoredErrors: maxStoredErrors, notAfter: notAfter, minLot: nil,
            threads: threads
        ).joined()
    }

    /// Parses a whole file's bytes; see `parse(_:fileName:maxStoredErrors:notAfter:threads:)`.
    public static func parse(
        _ bytes: [UInt8], fileName: String, maxStoredErrors: Int = defaultMaxStoredErrors,
        notAfter: FutureLimit? = nil, threads: Int = 1
    ) throws(CSVLineError) -> PrintsCSV {
        var result: Result<PrintsCSV, CSVLineError>!
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(CSVLineError) in
                try parse(raw, fileName: fileName, maxStoredErrors: maxStoredErrors, notAfter: notAfter, threads: threads)
            }
        }
        return try result.get()
    }

    /// Parses CSV text; see `parse(_:fileName:maxStoredErrors:notAfter:threads:)`.
    public static func parse(
        _ text: String, fileName: String, maxStoredErrors: Int = defaultMaxStoredErrors,
        notAfter: FutureLimit? = nil, threads: Int = 1
    ) throws(CSVLineError) -> PrintsCSV {
        try parse(
            Array(text.utf8), fileName: fileName, maxStoredErrors: maxStoredErrors, notAfter: notAfter, threads: threads)
    }

    /// Reads and parses the file at `path`, which is also the name used in error messages.
    ///
    /// - Throws: `CSVFileError` when the file cannot be read, `CSVLineError` as `parse` does.
    public static func read(
        contentsOfFile path: String, maxStoredErrors: Int = defaultMaxStoredErrors, notAfter: FutureLimit? = nil,
        threads: Int = 1
    ) throws -> PrintsCSV {
        try _withFileBytes(path) { raw throws(CSVLineError) in
            try parse(raw, fileName: path, maxStoredErrors: maxStoredErrors, notAfter: notAfter, threads: threads)
        }
    }
}

// MARK: - The reader

/// One pass over a prints file, or over one chunk of its lines: the tokenizer, the caches and
/// the chunk's result being built. Noncopyable because it owns the tokenizer.
///
/// Symbols and venues get ids local to the chunk; the line numbers in errors count from the
/// chunk's first line (1); `PrintsCSVParts` merges chunks into the file's ids and lines.
struct _PrintsReader: ~Copyable {
    var tokenizer: _UnsafeCSVTokenizer
    private let header: _PrintsHeader
    private var log: _CSVErrorLog
    private var prints: [RawPrint] = []
    private var symbols = InternTable()
    private var venues = InternTable([""])
    private var symbolCache = _ShortKeyCache()
    private var venueCache = _ShortKeyCache()
    private var venueWords = _WordKeyCache()
    private var dates = _CSVDateCache()
    private var recordCount = 0
    /// Prints smaller than this are counted in `ineligible` and not kept (`Int32.min`: keep all).
    private let minLot: Int32
    /// Kept prints per local symbol id.
    private var counts: [Int] = []
    private var ineligible = 0
    private var refusedVenueBeyondLimit = false

    /// A reader of the records of `input`: lines of the file after its header (all or a chunk).
    init(_ input: UnsafeBufferPointer<UInt8>, header: _PrintsHeader, minLot: Int32) {
        // Never the file's start, so a byte order mark here is text, as it is to one pass.
        tokenizer = _UnsafeCSVTokenizer(input, startsFile: false)
        self.header = header
        log = _CSVErrorLog(file: header.fileName, limit: header.maxStoredErrors)
        self.minLot = minLot
        // Room for the chunk's prints; as much of it as the chunk's first lines say it will fill
        // is made resident in bulk rather than a page fault a page.
        let expected = Self.expectedRecords(input)
        prints = [RawPrint](unsafeUninitializedCapacity: input.count / 40 + 16) { buffer, initialized in
            Prefault.populate(UnsafeMutableBufferPointer(rebasing: buffer.prefix(expected)))
            initialized = 0
        }
    }

    /// About how many records `input` holds, a little over, from the line length of its first
    /// 256 KiB: what is worth prefaulting (too few costs page faults, too many memory).
    static func expectedRecords(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        let sample = input.prefix(1 << 18)
        let lines = sample.reduce(0) { $0 + ($1 == _lf ? 1 : 0) }
        guard lines > 0 else { return 0 }
        return input.count * lines / sample.count * 21 / 20 + 16
    }

    /// Reads every record of the chunk.
    consuming func run() -> _PrintsChunk {
        let h = header
        readRecords(
            width: h.width, symbol: h.symbol, time: h.time, price: h.price, size: h.size, venue: h.venue)
        return _PrintsChunk(
            prints: prints, symbols: symbols.names, venues: venues.names, counts: counts, ineligible: ineligible,
            lineBreaks: tokenizer.line - 1, recordCount: recordCount, errors: log.stored, errorCount: log.count,
            sawLineBreakInQuotes: tokenizer.sawLineBreakInQuotes, refusedVenueBeyondLimit: refusedVenueBeyondLimit)
    }

    /// The hot loop: one record per iteration, no `String` unless a symbol or venue is new.
    ///
    /// Most records take the fast path (`readSimpleRecord`); whatever it is not sure of goes
    /// through the tokenizer and `readRecord`, which decide every value and error.
    private mutating func readRecords(width: Int, symbol: Int, time: Int, price: Int, size: Int, venue: Int) {
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: width)
        defer { ends.deallocate() }
        let fastPath = header.simpleRecordFastPath
        while true {
            if fastPath, let lf = tokenizer.scanSimpleRecord(width: width, ends: ends),
                readSimpleRecord(ends, symbol: symbol, time: time, price: price, size: size, venue: venue)
            {
                tokenizer.acceptSimpleRecord(endingAt: lf)
                continue
            }
            guard tokenizer.nextRecord() else { return }
            readRecord(width: width, symbol: symbol, time: time, price: price, size: size, venue: venue)
        }
    }

    /// The fast twin of `readRecord` for the record `scanSimpleRecord` just found (its field
    /// ends in `ends`): a known symbol, venue empty or known, every value valid. Returns false,
    /// having changed nothing but what its caches remember (a date, the last symbol), for
    /// anything else (a new symbol or venue, any error), which `readRecord` then reads; true
    /// when the record is counted (kept, or ineligible).
    @inline(__always)
    private mutating func readSimpleRecord(
        _ ends: UnsafeMutablePointer<Int>, symbol: Int, time: Int, price: Int, size: Int, venue: Int
    ) -> Bool {
        let input = tokenizer.input
        let recordStart = tokenizer.position
        @inline(__always) func field(_ k: Int) -> UnsafeBufferPointer<UInt8> {
            let start = k == 0 ? recordStart : ends[k &- 1] &+ 1
            return UnsafeBufferPointer(start: input.baseAddress! + start, count: ends[k] &- start)
        }
        @inline(__always) func readable(_ b: UnsafeBufferPointer<UInt8>) -> Int {
            input.count &- (b.baseAddress! - input.baseAddress!)
        }
        let symbolBytes = field(symbol)
        guard symbolBytes.count <= 16, readable(symbolBytes) >= 16,
            let symbolID = symbolCache.lookup(_ShortKey(wide: symbolBytes))
        else { return false }
        // The common shapes first, then the general parsers (epoch times, long decimals).
        let timeBytes = field(time)
        let priceBytes = field(price)
        let sizeBytes = field(size)
        guard
            let nanos = _CSVFieldParsers.parseCommonISOTime(timeBytes, dates: dates)
                ?? (try? _CSVFieldParsers.parseTime(timeBytes, dates: &dates)),
            nanos <= header.latestTime,
            let ticks = _CSVFieldParsers.parseCommonPriceTicks(priceBytes)
                ?? (try? _CSVFieldParsers.parsePriceTicks(priceBytes)),
            let shares = _CSVFieldParsers.parseCommonSize(sizeBytes) ?? (try? _CSVFieldParsers.parseSize(sizeBytes))
        else { return false }
        var venueID: UInt16 = 0
        if venue >= 0 {
            let venueBytes = field(venue)
            if !venueBytes.isEmpty {
                guard venueBytes.count <= 8, readable(venueBytes) >= 8,
                    let id = venueWords.lookup(_ShortKey.word(venueBytes), length: venueBytes.count)
                else { return false }
                venueID = id
            }
        }
        recordCount += 1
        if shares < minLot {
            ineligible += 1
            return true
        }
        counts[Int(symbolID)] += 1
        prints.append(RawPrint(symbol: symbolID, time: nanos, price: ticks, size: shares, venue: venueID))
        return true
    }

    /// Reads the record the tokenizer just read, whatever it holds.
    private mutating func readRecord(width: Int, symbol: Int, time: Int, price: Int, size: Int, venue: Int) {
        let latestTime = header.latestTime
        if tokenizer.isBlankRecord { return }
        recordCount += 1
        if tokenizer.problem != nil || tokenizer.fieldCount != width {
            reportShape(width: width)
            return
        }

        // Symbol: a cached id, or validated now and interned once the line proves valid.
        let symbolField = tokenizer.field(symbol)
        let symbolBytes = tokenizer.bytes(of: symbolField)
        var symbolID: Int32 = -1
        var symbolKey = _ShortKey.none
        if symbolBytes.count <= 16 {
            symbolKey = tokenizer.shortKey(of: symbolField)
            symbolID = symbolCache.lookup(symbolKey) ?? -1
        }
        if symbolID < 0 {
            do throws(_CSVFieldProblem) {
                try _CSVFieldParsers.validateSymbol(symbolBytes)
            } catch {
                report(error, column: symbol, symbolBytes)
                return
            }
        }

        let timeBytes = tokenizer.bytes(of: tokenizer.field(time))
        let nanos: Int64
        do throws(_CSVFieldProblem) {
            nanos = try _CSVFieldParsers.parseTime(timeBytes, dates: &dates)
        } catch {
            report(error, column: time, timeBytes)
            return
        }
        if nanos > latestTime {
            reportFuture(column: time, timeBytes)
            return
        }

        let priceBytes = tokenizer.bytes(of: tokenizer.field(price))
        let ticks: Int64
        do throws(_CSVFieldProblem) {
            ticks = try _CSVFieldParsers.parsePriceTicks(priceBytes)
        } catch {
            report(error, column: price, priceBytes)
            return
        }

        let sizeBytes = tokenizer.bytes(of: tokenizer.field(size))
        let shares: Int32
        do throws(_CSVFieldProblem) {
            shares = try _CSVFieldParsers.parseSize(sizeBytes)
        } catch {
            report(error, column: size, sizeBytes)
            return
        }

        var venueID: UInt16 = 0
        if venue >= 0 {
            let venueField = tokenizer.field(venue)
            if !venueField.isEmpty {
                guard let id = lookUpVenue(venueField, column: venue) else { return }
                venueID = id
            }
        }

        if symbolID < 0 { symbolID = internSymbol(symbolBytes, key: symbolKey) }
        if shares < minLot {
            ineligible += 1
            return
        }
        counts[Int(symbolID)] += 1
        prints.append(RawPrint(symbol: symbolID, time: nanos, price: ticks, size: shares, venue: venueID))
    }

    // MARK: - Interning (cold paths)

    /// The id of a valid symbol not in the cache yet.
    @inline(never)
    private mutating func internSymbol(_ b: UnsafeBufferPointer<UInt8>, key: _ShortKey) -> Int32 {
        let id = Int32(symbols.intern(String(decoding: b, as: UTF8.self)))
        symbolCache.insert(key, id)
        counts.append(0)
        return id
    }

    /// The venue id of non-empty venue text (upper-cased, interned), or nil after reporting an
    /// error. The last check of a line, so interning here never keeps a venue of a bad line.
    @inline(__always)
    private mutating func lookUpVenue(_ f: _CSVField, column: Int) -> UInt16? {
        let length = f.end - f.start
        if length <= 8, let id = venueWords.lookup(tokenizer.word(of: f), length: length) { return id }
        return lookUpVenueSlowly(f, column: column)
    }

    /// A venue not in `venueWords`: longer than 8 bytes, beyond its 64, or new.
    @inline(never)
    private mutating func lookUpVenueSlowly(_ f: _CSVField, column: Int) -> UInt16? {
        let length = f.end - f.start
        if length <= 16, let id = venueCache.lookup(tokenizer.shortKey(of: f)) {
            return UInt16(truncatingIfNeeded: id)
        }
        guard let venue = internVenue(tokenizer.bytes(of: f), column: column) else { return nil }
        if length <= 8 { venueWords.insert(tokenizer.word(of: f), length: length, venue) }
        return venue
    }

    @inline(never)
    private mutating func internVenue(_ b: UnsafeBufferPointer<UInt8>, column: Int) -> UInt16? {
        guard let text = String(validating: b, as: UTF8.self) else {
            report(.invalidUTF8, column: column, b)
            return nil
        }
        if let problem = PrintFields.venueProblem(UnsafeRawBufferPointer(b)) {
            log.add(line: tokenizer.recordLine, column: header.names[column], reason: "\(problem) (\(_quotedForError(b)))")
            return nil
        }
        let name = text.uppercased()
        if venues.id(of: name) == nil && venues.count > Int(UInt16.max) {
            refusedVenueBeyondLimit = true
            log.add(
                line: tokenizer.recordLine, column: header.names[column],
                reason: "more than \(UInt16.max) distinct venues (\(_quotedForError(b)))")
            return nil
        }
        let id = venues.intern(name)
        if b.count <= 16 { venueCache.insert(_ShortKey(b), Int32(id)) }
        return UInt16(id)
    }

    // MARK: - Errors (cold paths)

    @inline(never)
    private mutating func report(_ problem: _CSVFieldProblem, column: Int, _ b: UnsafeBufferPointer<UInt8>) {
        log.add(
            line: tokenizer.recordLine, column: header.names[column], reason: "\(problem.reason) (\(_quotedForError(b)))")
    }

    @inline(never)
    private mutating func reportFuture(column: Int, _ b: UnsafeBufferPointer<UInt8>) {
        log.add(line: tokenizer.recordLine, column: header.names[column], reason: "\(header.futureReason) (\(_quotedForError(b)))")
    }

    @inline(never)
    private mutating func reportShape(width: Int) {
        let names = header.names
        if let (column, reason) = tokenizer.shapeError(width: width, names: { names[$0] }) {
            log.add(line: tokenizer.recordLine, column: column, reason: reason)
        }
    }
}
