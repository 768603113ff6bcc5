/// One reply from Redis, copied out of hiredis's reply tree.
///
/// Building this copies every string; for large replies that are only parsed and thrown
/// away (stream pages) use ``RedisConnection/xrange(_:from:to:count:_:)`` or
/// ``RedisConnection/pipeline(_:_:)``, which visit hiredis's own memory instead.
public enum RedisReply: Sendable, Equatable, CustomStringConvertible {
    /// A status reply such as `OK` or `PONG`.
    case status(String)
    /// An error reply inside an array or a pipeline. (A top-level error reply of
    /// ``RedisConnection/command(_:)`` is thrown as ``RedisError/server(_:)`` instead.)
    case error(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string: arbitrary bytes, not necessarily UTF-8.
    case bulk([UInt8])
    /// A nil bulk string or nil array (`GET` of a missing key, `XREAD` that timed out).
    case null
    /// An array (multi-bulk) reply.
    case array([RedisReply])

    /// The text of a bulk string that is valid UTF-8, or of a status reply; `nil` otherwise.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The bytes of a bulk string; `nil` for every other kind.
    public var bytes: [UInt8]? {
        if case .bulk(let bytes) = self { bytes } else { nil }
    }

    /// An integer reply, or a bulk string holding a decimal integer (`GET` of a counter);
    /// `nil` otherwise.
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): bytes.withUnsafeBytes { _parseDecimalInt64($0) }
        default: nil
        }
    }

    /// The elements of an array reply; `nil` for every other kind.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    /// Whether this is a nil reply.
    public var isNull: Bool { self == .null }

    /// A short rendering for logs and test failures: `+OK`, `-ERR …`, `:42`, `"text"`,
    /// `<3 bytes>` (not UTF-8), `nil`, `[…]`.
    public var description: String {
        switch self {
        case .status(let text): "+\(text)"
        case .error(let text): "-\(text)"
        case .integer(let value): ":\(value)"
        case .bulk(let bytes):
            if let text = String(validating: bytes, as: UTF8.self) { "\"\(text)\"" } else { "<\(bytes.count) bytes>" }
        case .null: "nil"
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// Parses an optionally signed decimal integer that fills `bytes` exactly; `nil` on anything
/// else (empty, a stray byte, overflow).
@inline(__always)
func _parseDecimalInt64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
    var index = 0
    let negative = !bytes.isEmpty && bytes[0] == UInt8(ascii: "-")
    if negative { index = 1 }
    guard index < bytes.count else { return nil }
    // Accumulates the magnitude as a negative number so that Int64.min parses too.
    var value: Int64 = 0
    while index < bytes.count {
        let digit = bytes[index] &- UInt8(ascii: "0")  // Wrapping: any non-digit lands above 9.
        guard digit <= 9 else { return nil }
        let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit))
        guard !overflow1, !overflow2 else { return nil }
        value = next
        index += 1
    }
    if negative { return value }
    return value == .min ? nil : -value
}
