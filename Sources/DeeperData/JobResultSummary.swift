/// What `deeper submit --wait` prints about a job result (SPEC §10.3): its counts and the
/// symbols with the largest |god|, read straight from the result's bytes.
///
/// A whole market's result is megabytes (≈ 2.4 KB a symbol, 5 MB for 2,000 symbols). Building
/// Foundation objects for every value of it took longer than the job itself; this reader
/// visits the bytes once, keeps the four fields a row shows and skips everything else.
public struct JobResultSummary: Sendable, Equatable {
    /// One symbol of the summary; the texts are the numbers exactly as the result wrote them.
    public struct Row: Sendable, Equatable {
        /// The symbol (the key of its entry in `data`).
        public var symbol: String
        /// Its `god`.
        public var god: Double
        /// Its `last_price`, as written; `nil` when null.
        public var lastPrice: String?
        /// Its `rod`, as written; `nil` when null.
        public var rod: String?
        /// Its `tick_count`, as written; `nil` when null.
        public var tickCount: String?
    }

    /// `processed_count`, when the result has one.
    public var processedCount: Int?
    /// `total_symbols`, when the result has one.
    public var totalSymbols: Int?
    /// The symbols with a `god`, largest |god| first (ties by symbol), at most `top` of them.
    public var rows: [Row]

    /// Reads a SPEC §10.3 job result; `nil` when the bytes are not a JSON object of that shape.
    public init?(json: UnsafeRawBufferPointer, top: Int) {
        var reader = _JSONSkimmer(json)
        var processed: Int?
        var total: Int?
        var rows: [Row] = []
        let ok = reader.members { (key, r) -> Bool in
            switch key {
            case "processed_count":
                processed = r.scalar().flatMap { Int($0) }
                return true
            case "total_symbols":
                total = r.scalar().flatMap { Int($0) }
                return true
            case "data":
                return r.members { (symbol, r) -> Bool in
                    var row = Row(symbol: symbol, god: .nan)
                    let read = r.members { (field, r) -> Bool in
                        switch field {
                        case "god": row.god = r.scalar().flatMap { Double($0) } ?? .nan
                        case "last_price": row.lastPrice = r.scalar()
                        case "rod": row.rod = r.scalar()
                        case "tick_count": row.tickCount = r.scalar()
                        default: return r.skipValue()
                        }
                        return true
                    }
                    if read && !row.god.isNaN { rows.append(row) }
                    return read
                }
            default:
                return r.skipValue()
            }
        }
        guard ok else { return nil }
        rows.sort { abs($0.god) != abs($1.god) ? abs($0.god) > abs($1.god) : $0.symbol < $1.symbol }
        self.processedCount = processed
        self.totalSymbols = total
        self.rows = Array(rows.prefix(max(0, top)))
    }

    /// The summary as text: a counts line, then a table of the rows (none when no symbol has a god).
    public func render() -> String {
        var out = "processed \(processedCount.map(String.init) ?? "?") of \(totalSymbols.map(String.init) ?? "?") symbols\n"
        if rows.isEmpty { return out }
        out += "SYMBOL            LAST       GOD       ROD  TICKS\n"
        for row in rows {
            let rod = row.rod.flatMap { Double($0) }.map { Report.fixed($0, 4) } ?? "-"
            out += row.symbol.padding(16) + " " + (row.lastPrice ?? "-").leftPadded(8) + " "
                + Report.fixed(row.god, 4).leftPadded(9) + " " + rod.leftPadded(9) + " "
                + (row.tickCount ?? "-").leftPadded(6) + "\n"
        }
        return out
    }
}

extension String {
    fileprivate func padding(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) }
    fileprivate func leftPadded(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
}

/// A forward-only reader of JSON bytes that visits objects member by member and skips what the
/// caller does not ask for. It checks structure only as far as it reads (brackets, strings,
/// commas): enough never to read out of bounds or loop, not a validator.
struct _JSONSkimmer {
    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    /// Nesting deeper than this is refused rather than recursed into.
    static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var current: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let b = current, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { at += 1 }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard current == byte else { return false }
        at += 1
        return true
    }

    /// Visits the members of the object that starts here: `body` gets each key and must read
    /// (or skip) its value, returning false to give up. Returns whether the object was whole.
    mutating func members(_ body: (String, inout _JSONSkimmer) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            skipSpace()
            guard let key = string(), consume(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard body(key, &self) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    /// A number, `true`/`false` or a string as its text; `nil` for `null` (and for an object or
    /// an array, which it skips).
    mutating func scalar() -> String? {
        skipSpace()
        switch current {
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            _ = skipValue()
            return nil
        default:
            let start = at
            while let b = current, b != UInt8(ascii: ","), b != UInt8(ascii: "}"), b != UInt8(ascii: "]"),
                b != 0x20, b != 0x0A, b != 0x0D, b != 0x09
            {
                at += 1
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            return text == "null" ? nil : text
        }
    }

    /// Skips one value of any kind, nested ones included; false when the bytes end first or
    /// nest deeper than `maxDepth`.
    mutating func skipValue() -> Bool {
        skipSpace()
        guard let first = current else { return false }
        guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            if first == UInt8(ascii: "\"") { return string() != nil }
            _ = scalar()
            return true
        }
        var depth = 0
        while let b = current {
            switch b {
            case UInt8(ascii: "\""):
                guard skipString() else { return false }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= Self.maxDepth else { return false }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    at += 1
                    return true
                }
            default: break
            }
            at += 1
        }
        return false
    }

    /// Moves past the string that starts here; false when it does not end.
    private mutating func skipString() -> Bool {
        at += 1  // the opening quote
        while let b = current {
            at += 1
            if b == UInt8(ascii: "\\") {
                at += 1
            } else if b == UInt8(ascii: "\"") {
                return true
            }
        }
        return false
    }

    /// The string that starts here, unescaped; `nil` when there is none or it does not end.
    private mutating func string() -> String? {
        guard current == UInt8(ascii: "\"") else { return nil }
        let start = at + 1
        guard skipString(), at - 1 <= bytes.count else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<(at - 1)])
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        return (try? JSONEscape.unescape(raw)).map { String(decoding: $0, as: UTF8.self) }
    }
}
