/// The escapes of a JSON string (RFC 8259 §7), read once for every JSON reader of the project:
/// the API's strict body scanner and the job-result summary.
public enum JSONEscape {
    /// An escape that cannot be read: why, and the byte offset the reader should point at.
    public struct Failure: Error, Equatable {
        /// Offset into the input of the offending byte (or the end of the input).
        public var offset: Int
        /// A short message: `invalid escape \'x'`, `unpaired surrogate in \u escape`.
        public var reason: String

        /// A failure at `offset`, for `reason`.
        public init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }
    }

    /// Decodes the escape whose backslash is at `bytes[backslash]` and appends what it stands
    /// for, as UTF-8, to `out`; a `\u` high surrogate must be followed by an escaped low one.
    ///
    /// - Returns: the offset just after the escape.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, backslashAt backslash: Int, into out: inout [UInt8]
    ) throws(Failure) -> Int {
        var i = backslash + 1
        guard i < bytes.count else { throw Failure(offset: i, reason: "unterminated string") }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(bytes, at: i)
            i += 4
            if (0xD800..<0xDC00).contains(scalar) {
                // Points at the first byte that is not the expected `\u`.
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\\") else { throw Failure(offset: i, reason: unpaired) }
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                    throw Failure(offset: i + 1, reason: unpaired)
                }
                let low = try hex4(bytes, at: i + 2)
                i += 6
                guard (0xDC00..<0xE000).contains(low) else { throw Failure(offset: i, reason: unpaired) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw Failure(offset: i, reason: unpaired)
            }
            // Safe: every value here is a Unicode scalar (surrogates were paired or refused).
            out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw Failure(offset: i - 1, reason: "invalid escape \\\(show(e))")
        }
        return i
    }

    /// A string's body (between its quotes) with its escapes resolved, as UTF-8.
    public static func unescape(_ body: UnsafeRawBufferPointer) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = 0
        var runStart = 0
        while i < body.count {
            guard body[i] == UInt8(ascii: "\\") else {
                i += 1
                continue
            }
            out.append(contentsOf: body[runStart..<i])
            i = try decode(body, backslashAt: i, into: &out)
            runStart = i
        }
        out.append(contentsOf: body[runStart..<i])
        return out
    }

    /// A byte as an error message names it: `'x'`, or `byte 0x1` when not printable ASCII.
    public static func show(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private static let unpaired = "unpaired surrogate in \\u escape"

    private static func hex4(_ bytes: UnsafeRawBufferPointer, at start: Int) throws(Failure) -> UInt32 {
        guard start + 4 <= bytes.count else { throw Failure(offset: start, reason: "unterminated \\u escape") }
        var value: UInt32 = 0
        for k in start..<(start + 4) {
            let b = bytes[k]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw Failure(offset: k, reason: "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }
}
