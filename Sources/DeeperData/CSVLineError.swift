/// A malformed line of a CSV file (SPEC §1.3): names the file, the line, the column
/// and why.
///
/// `description` reads `prints.csv:17: column price: more than 4 decimal places ("24.90501")`.
/// A problem that belongs to no column (an empty file) leaves `column` empty and prints as
/// `prints.csv:1: no header line`.
public struct CSVLineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name as the caller gave it.
    public var file: String
    /// 1-based physical line number where the record starts (a quoted field may span lines).
    public var line: Int
    /// The column's name as SPEC §1.3 spells it (`price`), or empty.
    public var column: String
    /// Why the line is malformed, usually followed by the offending text in quotes.
    public var reason: String

    public init(file: String, line: Int, column: String, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        column.isEmpty ? "\(file):\(line): \(reason)" : "\(file):\(line): column \(column): \(reason)"
    }
}

/// A CSV file that could not be read at all (missing, unreadable).
public struct CSVFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

/// Counts every error and keeps the first `limit` of them.
///
/// Errors are built only while there is room, so a file that is wrong on every line costs no
/// more than counting.
struct _CSVErrorLog {
    let file: String
    let limit: Int
    private(set) var count = 0
    private(set) var stored: [CSVLineError] = []

    init(file: String, limit: Int) {
        precondition(limit >= 0, "maxStoredErrors must not be negative")
        self.file = file
        self.limit = limit
    }

    @inline(never)
    mutating func add(line: Int, column: String, reason: @autoclosure () -> String) {
        count += 1
        if stored.count < limit {
            stored.append(CSVLineError(file: file, line: line, column: column, reason: reason()))
        }
    }
}

/// How a field's text is shown inside an error reason: Swift-quoted (so quotes, newlines and
/// control characters are visible) and cut to 60 characters.
func _quotedForError(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    var text = String(decoding: bytes, as: UTF8.self)
    if text.count > 60 { text = String(text.prefix(57)) + "..." }
    return text.debugDescription
}
