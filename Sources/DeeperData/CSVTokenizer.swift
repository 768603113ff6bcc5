/// One field of the record the tokenizer last read.
///
/// `start..<end` is the field's text with quotes removed and surrounding spaces trimmed. It
/// indexes the input, or, when `inScratch` is set (a quoted field with doubled quotes, already
/// unescaped), the tokenizer's scratch buffer.
struct _CSVField {
    var start: Int
    var end: Int
    var quoted: Bool
    var inScratch: Bool

    var isEmpty: Bool { start == end }
}

/// A quoting mistake in a record. The tokenizer still finds the record's end, so the next
/// record starts where it should.
enum _CSVQuotingProblem: Equatable {
    /// A quoted field is never closed: the record ends with the line the quote opened on.
    case unterminatedQuote
    /// A `"` inside a field that does not start with one.
    case quoteInUnquotedField
    /// Something other than spaces between a closing quote and the next comma or line end.
    case textAfterClosingQuote

    var reason: String {
        switch self {
        case .unterminatedQuote: "quoted field is not closed on its line or later"
        case .quoteInUnquotedField: "quote inside an unquoted field"
        case .textAfterClosingQuote: "text after a closing quote"
        }
    }
}

/// Splits CSV bytes into records and fields (RFC 4180), the one tokenizer behind every CSV
/// reader in Deeper.
///
/// * Fields are separated by `,`; records end at LF, CRLF, or the end of the input. A CR that
///   is not followed by LF is an ordinary byte.
/// * A field whose first non-space byte is `"` is quoted: it ends at the next lone `"`, `""`
///   stands for one `"`, and commas, CR and LF inside are text. LFs inside still count as lines.
/// * Every field is trimmed of surrounding spaces (0x20 only), quoted or not, inside the quotes
///   too: SPEC §1.3 trims field values, and a symbol `" AHL PRF "` is `AHL PRF`.
/// * A record that is one empty unquoted field (an empty or all-space line) is blank.
///
/// The tokenizer never copies a field except to unescape doubled quotes; fields are byte
/// ranges of the input, readable through `bytes(of:)` until the next call to `nextRecord()`.
///
/// Noncopyable: it owns its field and scratch buffers and frees them in its `deinit`, so they
/// can be neither freed twice nor outlive it.
///
/// - Warning: The tokenizer holds a pointer into memory it does not own: create it inside
///   `withUnsafeBufferPointer` (or similar) and never let it escape.
struct _UnsafeCSVTokenizer: ~Copyable {
    /// The whole input.
    let input: UnsafeBufferPointer<UInt8>
    /// Offset of the next record.
    private(set) var position: Int
    /// Line number (1-based) of the byte at `position`.
    private(set) var line = 1
    /// Line number where the record last read starts.
    private(set) var recordLine = 1
    /// Number of fields in the record last read.
    private(set) var fieldCount = 0
    /// The first quoting mistake in the record last read, and the index of its field.
    private(set) var problem: _CSVQuotingProblem?
    private(set) var problemField = 0

    private var fields: UnsafeMutableBufferPointer<_CSVField>
    private var scratch: UnsafeMutableBufferPointer<UInt8>

    /// Whether a quoted field of a record read so far held a line break (or never closed, so
    /// that its record was cut at one): where a line starts, the text might then still be inside
    /// quotes, so a file with such a field cannot be cut into chunks at line starts.
    private(set) var sawLineBreakInQuotes = false

    /// A tokenizer at the start of `input`.
    ///
    /// - Parameter startsFile: `input` is the whole file (or its start), so a UTF-8 byte order
    ///   mark at its start is skipped; false for a chunk that starts at a later line.
    init(_ input: UnsafeBufferPointer<UInt8>, startsFile: Bool = true) {
        self.input = input
        // A UTF-8 byte order mark (as spreadsheet programs write) is not part of the header.
        if startsFile, input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            position = 3
        } else {
            position = 0
        }
        fields = .allocate(capacity: 16)
        scratch = .allocate(capacity: 0)
    }

    deinit {
        fields.deallocate()
        scratch.deallocate()
    }

    /// The number of lines in the input: LFs, plus one for a last line without an LF.
    ///
    /// - Precondition: every record has been read (`nextRecord()` returned false), so `line`
    ///   has counted every LF.
    var physicalLineCount: Int {
        precondition(position >= input.count, "read every record first")
        let n = input.count
        if n == 0 { return 0 }
        return input[n - 1] == _lf ? line - 1 : line
    }

    /// True when the record last read is an empty or all-space line.
    var isBlankRecord: Bool {
        fieldCount == 1 && problem == nil && fields[0].isEmpty && !fields[0].quoted
    }

    /// Field `i` of the record last read. Requires `i < fieldCount`.
    @inline(__always)
    func field(_ i: Int) -> _CSVField {
        assert(i < fieldCount)
        return fields[i]
    }

    /// The text of a field. Valid until the next `nextRecord()`, and never after the tokenizer.
    @inline(__always)
    func bytes(of f: _CSVField) -> UnsafeBufferPointer<UInt8> {
        let base = f.inScratch ? UnsafePointer(scratch.baseAddress!) : input.baseAddress!
        return UnsafeBufferPointer(start: base + f.start, count: f.end - f.start)
    }

    /// The cache key of a field of at most 16 bytes.
    @inline(__always)
    func shortKey(of f: _CSVField) -> _ShortKey {
        _ShortKey(bytes(of: f), readable: f.inScratch ? f.end - f.start : input.count - f.start)
    }

    /// The bytes of a field of at most 8 bytes packed little-endian into a word, zero-padded.
    @inline(__always)
    func word(of f: _CSVField) -> UInt64 {
        let n = f.end - f.start
        assert(n <= 8)
        let readable = f.inScratch ? n : input.count - f.start
        return readable >= 8 ? _ShortKey.word(bytes(of: f)) : _ShortKey(bytes(of: f)).low
    }

    /// The text of field `i` as a `String` (invalid UTF-8 becomes U+FFFD; for names and display).
    func string(_ i: Int) -> String { String(decoding: bytes(of: field(i)), as: UTF8.self) }

    // MARK: - Reading records

    /// Reads the next record. Returns false at the end of the input.
    ///
    /// Afterwards `recordLine`, `fieldCount`, `field(_:)` and `problem` describe the record.
    @inline(__always)
    mutating func nextRecord() -> Bool {
        let n = input.count
        if position >= n { return false }
        recordLine = line
        fieldCount = 0
        problem = nil
        var needsUnescape = false
        let p = input.baseAddress!
        var i = position
        let recordStart = i
        while true {
            while i < n && p[i] == _space { i += 1 }
            var field: _CSVField
            if i < n && p[i] == _quote {
                field = readQuotedField(from: &i)
                needsUnescape = needsUnescape || field.inScratch
            } else {
                let start = i
                i = Self.scanUnquoted(p, from: i, count: n)
                if i < n && p[i] == _quote {
                    noteProblem(.quoteInUnquotedField)
                    i = Self.skipToDelimiter(p, from: i, count: n)
                }
                var end = i
                while end > start && p[end - 1] == _space { end -= 1 }
                field = _CSVField(start: start, end: end, quoted: false, inScratch: false)
            }
            appendField(field)
            // Here i is at a comma, a line end (LF, or CR before LF or the input's end), or n.
            if i >= n { break }
            if p[i] == _comma {
                i += 1
                continue
            }
            if p[i] == _cr { i += 1 }
            if i < n {
                i += 1  // the LF
                line += 1
            }
            break
        }
        position = i
        if needsUnescape { unescapeFields(recordStart: recordStart) }
        return true
    }

    /// The end of an unquoted field's text: the offset of the first comma, LF, quote, or CR that
    /// ends a line (CR before LF or at the input's end), or `n`.
    ///
    /// Eight bytes at a time while eight remain: a word test finds the first byte below 0x2D
    /// (`,` is 0x2C; `"`, LF and CR are lower), which most field bytes (digits, letters, `.`, `:`,
    /// `-`) are not; only such a byte (often a space) is looked at alone. The last bytes go one
    /// at a time.
    ///
    /// `scanUnquotedReference` is its plain twin; a property test holds the two equal.
    ///
    /// - Precondition: `from <= n`, `p` valid for `n` bytes.
    @inline(__always)
    static func scanUnquoted(_ p: UnsafePointer<UInt8>, from: Int, count n: Int) -> Int {
        var i = from
        // Safe: `&+` below never passes `n`, which is an allocation's size.
        while i &+ 8 <= n {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let below = _bytesBelow0x2D(word)
            if below == 0 {
                i &+= 8
                continue
            }
            i &+= below.trailingZeroBitCount &>> 3
            if _endsUnquoted(p, i, n) { return i }
            i &+= 1
        }
        while i < n {
            if _endsUnquoted(p, i, n) { return i }
            i &+= 1
        }
        return n
    }

    /// What `scanUnquoted` finds, one byte at a time and spelled out: the first `,` `"` or LF, or
    /// CR followed by LF or at the end, at or after `from`; else `n`.
    static func scanUnquotedReference(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        let n = bytes.count
        for i in from..<n {
            switch bytes[i] {
            case UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"): return i
            case UInt8(ascii: "\r") where i + 1 == n || bytes[i + 1] == UInt8(ascii: "\n"): return i
            default: continue
            }
        }
        return n
    }

    /// Like `scanUnquoted`, but quotes are ordinary bytes: used to find the end of a field that
    /// is already wrong, so the record still ends in the right place.
    @inline(never)
    private static func skipToDelimiter(_ p: UnsafePointer<UInt8>, from: Int, count n: Int) -> Int {
        var i = from
        while i < n {
            let b = p[i]
            if b == _comma || b == _lf { return i }
            if b == _cr && (i + 1 == n || p[i + 1] == _lf) { return i }
            i += 1
        }
        return n
    }

    /// The fields of the next record when it is simple, found a word at a time: exactly `width`
    /// unquoted fields, no quote or field-edge space anywhere, ending with an LF or CR LF. Writes
    /// the offset of each field's end (its `,`, the LF or the CR) to `ends[0..<width]` and
    /// returns the LF's offset; nil for any other record (or an input under 8 bytes), having changed nothing, so
    /// that `nextRecord` reads it. What it finds is what `nextRecord` would: a property test
    /// holds the two equal.
    ///
    /// Unlike `scanUnquoted`, every byte below 0x2D in a word is visited (`_bytesBelow0x2DExact`
    /// has no false hits), so a record costs one pass over its words.
    ///
    /// - Precondition: `ends` holds at least `width` slots.
    @inline(__always)
    func scanSimpleRecord(width: Int, ends: UnsafeMutablePointer<Int>) -> Int? {
        let n = input.count
        var i = position
        guard n >= 8 else { return nil }
        let p = input.baseAddress!
        var field = 0
        var fieldStart = i
        // Safe: `&+` below never passes `n`, which is an allocation's size.
        while i < n {
            var below: UInt64
            if i &+ 8 <= n {
                below = _bytesBelow0x2DExact(UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)))
            } else {
                // The input's last word, shifted so that its byte 0 is `p[i]`; the zero bytes
                // shifted in are masked off.
                let left = n &- i
                let last = UInt64(littleEndian: UnsafeRawPointer(p + (n &- 8)).loadUnaligned(as: UInt64.self))
                below = _bytesBelow0x2DExact(last >> UInt64(8 &* (8 &- left))) & ((1 << UInt64(8 &* left)) &- 1)
            }
            while below != 0 {
                let j = i &+ (below.trailingZeroBitCount &>> 3)
                below &= below &- 1
                switch p[j] {
                case _comma:
                    ends[field] = j
                    field &+= 1
                    if field == width { return nil }
                    fieldStart = j &+ 1
                case _lf:
                    guard field &+ 1 == width else { return nil }
                    ends[field] = j
                    return j
                case _cr:
                    // CR LF ends the record as LF does; a CR at the input's end too (left to
                    // `nextRecord`); any other CR is text.
                    if j &+ 1 == n { return nil }
                    if p[j &+ 1] == _lf {
                        guard field &+ 1 == width else { return nil }
                        ends[field] = j
                        return j &+ 1
                    }
                case _space:
                    // A space at a field's edge is trimmed: left to `nextRecord`.
                    if j == fieldStart || j &+ 1 == n || p[j &+ 1] == _comma || p[j &+ 1] == _lf || p[j &+ 1] == _cr {
                        return nil
                    }
                case _quote:
                    return nil
                default:
                    continue
                }
            }
            i &+= 8
        }
        return nil
    }

    /// Moves past the record `scanSimpleRecord` found, whose LF is at `lf`.
    @inline(__always)
    mutating func acceptSimpleRecord(endingAt lf: Int) {
        recordLine = line
        line &+= 1
        fieldCount = 0
        problem = nil
        position = lf &+ 1
    }

    /// Reads a quoted field whose opening quote is at `i`, and the spaces after its closing
    /// quote. Leaves `i` at the delimiter that follows; counts the LFs inside.
    @inline(never)
    private mutating func readQuotedField(from i: inout Int) -> _CSVField {
        let n = input.count
        let p = input.baseAddress!
        i += 1
        var start = i
        var end = n
        var doubled = false
        var closed = false
        let lineAtOpen = line
        var firstLF: Int?
        while i < n {
            let b = p[i]
            if b == _quote {
                if i + 1 < n && p[i + 1] == _quote {
                    doubled = true
                    i += 2
                    continue
                }
                end = i
                i += 1
                closed = true
                break
            }
            if b == _lf {
                line += 1
                if firstLF == nil { firstLF = i }
            }
            i += 1
        }
        if firstLF != nil { sawLineBreakInQuotes = true }
        if !closed {
            noteProblem(.unterminatedQuote)
            // A quote never closed cannot be told from one closed lines later, so the record
            // ends with the line it opened on: the lines after it are read and judged on
            // their own instead of vanishing into one field.
            if let lf = firstLF {
                line = lineAtOpen
                i = lf
                end = lf > start && p[lf - 1] == _cr ? lf - 1 : lf
                doubled = false
            }
        } else {
            while i < n && p[i] == _space { i += 1 }
            let atDelimiter =
                i == n || p[i] == _comma || p[i] == _lf || (p[i] == _cr && (i + 1 == n || p[i + 1] == _lf))
            if !atDelimiter {
                noteProblem(.textAfterClosingQuote)
                i = Self.skipToDelimiter(p, from: i, count: n)
            }
        }
        while start < end && p[start] == _space { start += 1 }
        while end > start && p[end - 1] == _space { end -= 1 }
        // `inScratch` marks "needs unescaping" until `unescapeFields` moves the text.
        return _CSVField(start: start, end: end, quoted: true, inScratch: doubled)
    }

    private mutating func noteProblem(_ kind: _CSVQuotingProblem) {
        if problem == nil {
            problem = kind
            problemField = fieldCount
        }
    }

    @inline(__always)
    private mutating func appendField(_ f: _CSVField) {
        if fieldCount < fields.count {
            fields[fieldCount] = f
        } else {
            growFields(appending: f)
        }
        fieldCount += 1
    }

    @inline(never)
    private mutating func growFields(appending f: _CSVField) {
        let bigger = UnsafeMutableBufferPointer<_CSVField>.allocate(capacity: fields.count * 2)
        _ = bigger.initialize(from: fields)
        fields.deallocate()
        fields = bigger
        fields[fieldCount] = f
    }

    /// Copies each field that holds doubled quotes into the scratch buffer, with `""` → `"`.
    ///
    /// A field lands at its own offset from the record's start; unescaped text is never longer
    /// than the input text, so fields never overlap in the scratch buffer.
    @inline(never)
    private mutating func unescapeFields(recordStart: Int) {
        let length = position - recordStart
        if scratch.count < length {
            scratch.deallocate()
            scratch = .allocate(capacity: max(length, 2 * scratch.count))
        }
        let p = input.baseAddress!
        for k in 0..<min(fieldCount, fields.count) where fields[k].inScratch {
            let f = fields[k]
            let out = f.start - recordStart
            var w = out
            var r = f.start
            while r < f.end {
                scratch[w] = p[r]
                w += 1
                r += p[r] == _quote ? 2 : 1
            }
            fields[k] = _CSVField(start: out, end: w, quoted: true, inScratch: true)
        }
    }
}

// MARK: - Bytes

let _comma: UInt8 = 0x2C
let _quote: UInt8 = 0x22
let _lf: UInt8 = 0x0A
let _cr: UInt8 = 0x0D
let _space: UInt8 = 0x20

/// True when `p[i]` ends an unquoted field: `,` `"` LF, or CR before LF or at the end. Requires `i < n`.
@inline(__always)
func _endsUnquoted(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
    // Safe: i < n, so i + 1 cannot overflow.
    let b = p[i]
    return _isSpecial(b) && (b != _cr || i &+ 1 == n || p[i &+ 1] == _lf)
}

/// The high bit of each byte of `word` below 0x2D is set, except that bytes after the first such
/// byte may be wrong (borrows); the lowest set bit is always right. Bytes of 0x80 and up are
/// never below.
@inline(__always)
func _bytesBelow0x2D(_ word: UInt64) -> UInt64 {
    (word &- 0x2D2D_2D2D_2D2D_2D2D) & ~word & 0x8080_8080_8080_8080
}

/// The high bit of each byte of `word` below 0x2D is set, and no other: OR-ing the high bits in
/// first keeps every byte's subtraction from borrowing from the next; bytes of 0x80 and up are
/// never below.
@inline(__always)
func _bytesBelow0x2DExact(_ word: UInt64) -> UInt64 {
    ~((word | 0x8080_8080_8080_8080) &- 0x2D2D_2D2D_2D2D_2D2D) & ~word & 0x8080_8080_8080_8080
}

/// True for `,` `"` LF CR: all below 64, so one shift of a 64-bit mask tests them.
@inline(__always)
func _isSpecial(_ b: UInt8) -> Bool {
    let mask: UInt64 = 1 << 0x2C | 1 << 0x22 | 1 << 0x0A | 1 << 0x0D
    return b < 64 && (mask >> UInt64(b)) & 1 != 0
}

// MARK: - Headers

/// Where the columns a reader needs sit in a header record.
struct _CSVColumnMap {
    /// For each requested name, its field index, or nil for an optional column that is absent.
    var index: [Int?]
    /// How many fields the header has (every record must have as many).
    var width: Int

    /// Matches header names, trimmed and ASCII case-insensitive, against `required` and
    /// `optional` names (given in lower case). Other columns are ignored.
    ///
    /// - Throws: a missing required column, a wanted column named twice, or a quoting mistake.
    init(
        header tok: borrowing _UnsafeCSVTokenizer, required: [String], optional: [String], file: String
    ) throws(CSVLineError) {
        if let problem = tok.problem {
            throw CSVLineError(
                file: file, line: tok.recordLine, column: "", reason: "header: \(problem.reason)")
        }
        let wanted = required + optional
        var index = [Int?](repeating: nil, count: wanted.count)
        for i in 0..<tok.fieldCount {
            let name = String(decoding: tok.bytes(of: tok.field(i)).map(_asciiLowercased), as: UTF8.self)
            guard let k = wanted.firstIndex(of: name) else { continue }
            if index[k] != nil {
                throw CSVLineError(
                    file: file, line: tok.recordLine, column: name, reason: "column named twice in header")
            }
            index[k] = i
        }
        for (k, name) in required.enumerated() where index[k] == nil {
            throw CSVLineError(
                file: file, line: tok.recordLine, column: name, reason: "required column missing from header")
        }
        self.index = index
        self.width = tok.fieldCount
    }
}

/// ASCII case mapping; `&-` wraps bytes below the range to large values, making one compare a range test.
@inline(__always)
func _asciiLowercased(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

extension _UnsafeCSVTokenizer {
    /// Reads records until the first one that is not blank (the header). Returns false when
    /// the input holds no such record.
    mutating func readHeader() -> Bool {
        while nextRecord() {
            if !isBlankRecord { return true }
        }
        return false
    }

    /// The error for a record whose shape is wrong (quoting, field count), or nil when it is fine.
    ///
    /// - Parameter names: the header's column names, for naming the column.
    func shapeError(width: Int, names: (Int) -> String) -> (column: String, reason: String)? {
        if let problem {
            return (problemField < width ? names(problemField) : "", problem.reason)
        }
        if fieldCount != width {
            let column = fieldCount < width ? names(fieldCount) : ""
            return (column, "line has \(fieldCount) fields, header has \(width)")
        }
        return nil
    }
}
