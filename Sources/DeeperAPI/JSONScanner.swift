import DeeperData

/// A JSON value whose numbers keep their text.
///
/// `JSONSerialization` turns `24.905` into a `Double` (or a platform-dependent `NSNumber`),
/// after which the exact decimal a client sent is gone. Prices must be held exactly as ticks
/// (SPEC §1), so the prints body is read with this scanner instead and each number is handed
/// to the same exact parser the CSV reader uses.
enum JSONValue: Equatable {
    case string(String)
    /// A number's text exactly as written (`-1.50e3`).
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    /// Members in order; a repeated key keeps its last value when looked up.
    case object([(key: String, value: JSONValue)])

    /// The last value of member `key` of an object; `nil` when absent or not an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// A short name of the value's type, for error messages.
    var typeName: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

/// Where and why a body is not JSON: `line 3, column 7: expected ',' or ']'`.
struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var reason: String

    var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict RFC 8259 reader over bytes: no comments, no trailing commas, no NaN; strings must
/// be valid UTF-8. Nesting deeper than `maxDepth` is refused, so a hostile body cannot exhaust
/// the stack.
struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private let maxDepth: Int

    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses the whole input as one value.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes)
        scanner.skipSpace()
        let value = try scanner.value(depth: 0)
        scanner.skipSpace()
        guard scanner.index == bytes.count else { throw scanner.error("unexpected text after the JSON value") }
        return value
    }

    /// Parses the whole input as one array and hands each element to `body` as it is read, with
    /// its 1-based position, so a large array is never held whole.
    ///
    /// - Throws: `JSONSyntaxError` when the input is not one JSON array; the elements handed
    ///   over before the error were valid.
    static func forEachElement(
        ofArray bytes: UnsafeRawBufferPointer, _ body: (Int, JSONValue) -> Void
    ) throws(JSONSyntaxError) {
        var scanner = JSONScanner(bytes)
        scanner.skipSpace()
        guard scanner.peek == UInt8(ascii: "[") else { throw scanner.error("expected a JSON array of prints") }
        scanner.index += 1
        scanner.skipSpace()
        var position = 0
        if scanner.peek == UInt8(ascii: "]") {
            scanner.index += 1
        } else {
            while true {
                position += 1
                body(position, try scanner.value(depth: 1))
                scanner.skipSpace()
                if scanner.consume(UInt8(ascii: ",")) {
                    scanner.skipSpace()
                    continue
                }
                guard scanner.consume(UInt8(ascii: "]")) else { throw scanner.error("expected ',' or ']'") }
                break
            }
        }
        scanner.skipSpace()
        guard scanner.index == bytes.count else { throw scanner.error("unexpected text after the JSON array") }
    }

    // MARK: - Values

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while let b = peek, JSONText.isSpace(b) { index += 1 }
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        guard let b = peek else { throw error("unexpected end of input") }
        switch b {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character \(JSONEscape.show(b))")
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        skipSpace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
            let key = try string()
            skipSpace()
            guard consume(UInt8(ascii: ":")) else { throw error("expected ':' after a member name") }
            skipSpace()
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: "}")) else { throw error("expected ',' or '}'") }
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        index += 1  // [
        var elements: [JSONValue] = []
        skipSpace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            skipSpace()
            elements.append(try value(depth: depth + 1))
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: "]")) else { throw error("expected ',' or ']'") }
            return .array(elements)
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        for k in 0..<count where bytes[index + k] != word.utf8Start[k] {
            throw error("unexpected character \(JSONEscape.show(bytes[index]))")
        }
        index += count
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
    private mutating func number() throws(JSONSyntaxError) -> String {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        guard let first = peek, Self.isDigit(first) else { throw error("expected a digit") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if consume(UInt8(ascii: ".")) {
            guard let d = peek, Self.isDigit(d) else { throw error("expected a digit after '.'") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let d = peek, Self.isDigit(d) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func skipDigits() {
        while let b = peek, Self.isDigit(b) { index += 1 }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private mutating func string() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var out: [UInt8] = []
        var runStart = index
        while true {
            guard let b = peek else { throw error("unterminated string") }
            switch b {
            case UInt8(ascii: "\""):
                out.append(contentsOf: bytes[runStart..<index])
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                out.append(contentsOf: bytes[runStart..<index])
                try escape(into: &out)
                runStart = index
            case 0..<0x20:
                throw error("control character in a string (escape it)")
            default:
                index += 1
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(JSONSyntaxError) {
        do {
            index = try JSONEscape.decode(bytes, backslashAt: index, into: &out)
        } catch {
            index = error.offset
            throw self.error(error.reason)
        }
    }

    // MARK: - Errors

    /// An error at the current position, with its 1-based line and column (in bytes).
    private func error(_ reason: String) -> JSONSyntaxError {
        var line = 1
        var lineStart = 0
        for k in 0..<min(index, bytes.count) where bytes[k] == 0x0A {
            line += 1
            lineStart = k + 1
        }
        return JSONSyntaxError(line: line, column: index - lineStart + 1, reason: reason)
    }
}
