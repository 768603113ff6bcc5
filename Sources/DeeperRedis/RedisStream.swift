/// A stream entry ID, `<milliseconds>-<sequence>`, as numbers.
///
/// Ordered as Redis orders entries. `description` is the form Redis accepts back
/// (`1700000000000-0`); an exclusive range start is `"(" + id.description`.
public struct RedisStreamID: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// Milliseconds part (Unix epoch milliseconds for IDs Redis made with `*`).
    public var milliseconds: UInt64
    /// Sequence number within the millisecond.
    public var sequence: UInt64

    /// `0-0`: smaller than every ID an entry can have, so `XREAD` after it reads from the start.
    public static let zero = RedisStreamID(milliseconds: 0, sequence: 0)

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `ms-seq` or a bare `ms` (sequence 0); `nil` for anything else.
    public init?(_ description: String) {
        var text = description
        guard let id = text.withUTF8({ RedisStreamID(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = id
    }

    /// Parses the ID from raw bytes (an entry ID as it arrives from Redis) without building a
    /// `String`; `nil` unless the bytes are exactly `ms-seq` or `ms`.
    public init?(bytes: UnsafeRawBufferPointer) {
        var parts: (UInt64, UInt64) = (0, 0)
        var inSequence = false
        var digitsInPart = 0
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                guard !inSequence, digitsInPart > 0 else { return nil }
                inSequence = true
                digitsInPart = 0
                continue
            }
            let digit = byte &- UInt8(ascii: "0")  // Wrapping: any non-digit lands above 9.
            guard digit <= 9 else { return nil }
            var part = inSequence ? parts.1 : parts.0
            let (shifted, overflow1) = part.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            part = next
            if inSequence { parts.1 = part } else { parts.0 = part }
            digitsInPart += 1
        }
        guard digitsInPart > 0 else { return nil }
        self.init(milliseconds: parts.0, sequence: parts.1)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (lhs: RedisStreamID, rhs: RedisStreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

/// What one stream read visited: how many entries, and the last entry's ID, from which the
/// next read goes on (`XRANGE` from `"(" + lastID.description`, `XREAD` after `lastID`).
public struct RedisStreamPage: Sendable, Equatable {
    /// Entries visited.
    public var count: Int
    /// ID of the last entry visited; `nil` when none was.
    public var lastID: RedisStreamID?

    public init(count: Int, lastID: RedisStreamID?) {
        self.count = count
        self.lastID = lastID
    }
}

/// One stream entry, read in place from the reply's bytes: its ID and its field/value pairs
/// as raw bytes. Nothing is copied and no `String` is built.
///
/// - Warning: The entry and every buffer it hands out point into a reply buffer that is
///   reused when the visiting closure returns. Parse what you need inside the closure; never
///   store the entry or its buffers.
public struct RedisStreamEntry {
    /// The entry's ID.
    public let id: RedisStreamID
    /// The flat `[field, value, field, value, …]` strings; `nil` when Redis sent none (an
    /// entry deleted while pending in a consumer group).
    let _fields: UnsafePointer<_FlatToken>?
    /// Where the tokens' bytes are.
    let _bytes: UnsafeRawPointer?
    /// The number of field/value pairs.
    public let fieldCount: Int

    init(id: RedisStreamID, fields: UnsafePointer<_FlatToken>?, pairs: Int, bytes: UnsafeRawPointer?) {
        self.id = id
        self._fields = fields
        self._bytes = bytes
        self.fieldCount = pairs
    }

    @inline(__always)
    private func _string(_ token: Int) -> UnsafeRawBufferPointer {
        let t = _fields.unsafelyUnwrapped[token]  // Non-nil: fieldCount > 0.
        return UnsafeRawBufferPointer(start: _bytes.map { $0 + t.offset }, count: t.count)
    }

    /// The name of field `index` (0-based, in the order they were added).
    public func field(at index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < fieldCount, "field index \(index) out of range")
        return _string(2 * index)
    }

    /// The value of field `index` (0-based, in the order they were added).
    public func value(at index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < fieldCount, "field index \(index) out of range")
        return _string(2 * index + 1)
    }

    /// The value of the first field named `name`, or `nil` when the entry has no such field.
    ///
    /// A linear scan: entries carry a handful of fields, so this beats any index.
    public func value(forField name: StaticString) -> UnsafeRawBufferPointer? {
        let key = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for index in 0..<fieldCount where _bytesEqual(field(at: index), key) { return value(at: index) }
        return nil
    }

    /// The value of field `name` read as a decimal integer; `nil` when the field is missing
    /// or does not hold exactly one integer.
    public func integer(forField name: StaticString) -> Int64? {
        value(forField: name).flatMap(_parseDecimalInt64)
    }
}

// MARK: - Flat replies

/// One element of a reply as the flat reader records it (``RedisConnection``'s stream reads):
/// replies are kept as these tokens in pre-order (an array's token, then its elements'), with
/// every string's bytes back to back in one buffer, instead of one allocated `redisReply` per
/// element. A stream page of 10,000 entries is 120,000 elements: allocating and freeing those
/// was most of a full read's time.
struct _FlatToken {
    /// What kind of element this is.
    var kind: RedisReplyView.Kind
    /// A string's length in bytes, an array's element count, or an integer's value.
    var count: Int
    /// Where a string's bytes start in the buffer.
    var offset: Int
}

/// A reply read into flat tokens: the tokens and the buffer their strings' bytes are in.
///
/// - Warning: Both point into the connection's reply buffer, valid until its next read.
///
/// `@unchecked Sendable` only so that the region checker lets the caller's closures read it
/// under the connection's lock (as with the subscription's context): it is made, read and
/// dropped on the thread that holds the lock, and never stored.
struct _FlatReply: @unchecked Sendable {
    var tokens: UnsafeBufferPointer<_FlatToken>
    var bytes: UnsafeRawPointer?

    /// The text of the string token at `index`.
    func text(_ index: Int) -> String {
        let t = tokens[index]
        return String(decoding: UnsafeRawBufferPointer(start: bytes.map { $0 + t.offset }, count: t.count), as: UTF8.self)
    }

    /// Moves `index` past the element at `index` and everything nested in it.
    func skip(_ index: inout Int) throws(RedisError) {
        var pending = 1
        while pending > 0 {
            guard index < tokens.count else { throw .protocol("reply ends inside an array") }
            pending -= 1
            if tokens[index].kind == .array { pending += tokens[index].count }
            index += 1
        }
    }

    /// Walks an array of `[id, [field, value, …]]` entries that starts at token `index`, as
    /// `XRANGE` and `XREAD` send them, visiting each; leaves `index` after the array.
    func visitEntries(
        at index: inout Int, into page: inout RedisStreamPage, _ body: (RedisStreamEntry) -> Void
    ) throws(RedisError) {
        guard index < tokens.count, tokens[index].kind == .array else {
            throw .protocol("stream entries reply is not an array")
        }
        let entries = tokens[index].count
        index += 1
        let base = tokens.baseAddress.unsafelyUnwrapped  // Non-nil: the count check above passed.
        for _ in 0..<entries {
            guard index + 2 <= tokens.count, tokens[index].kind == .array, tokens[index].count == 2,
                tokens[index + 1].kind == .bulk
            else { throw .protocol("stream entry is not an [id, fields] pair") }
            let idToken = tokens[index + 1]
            guard let id = RedisStreamID(bytes: UnsafeRawBufferPointer(start: bytes.map { $0 + idToken.offset }, count: idToken.count))
            else { throw .protocol("stream entry ID is not ms-seq") }
            index += 2
            guard index < tokens.count else { throw .protocol("stream entry \(id) has no fields") }
            let fields = tokens[index]
            switch fields.kind {
            case .array where fields.count % 2 == 0:
                let strings = fields.count
                guard index + 1 + strings <= tokens.count else { throw .protocol("stream entry \(id) is cut short") }
                for k in (index + 1)..<(index + 1 + strings) where tokens[k].kind != .bulk {
                    throw .protocol("stream entry \(id) has a field that is not a string")
                }
                body(RedisStreamEntry(id: id, fields: base + index + 1, pairs: strings / 2, bytes: bytes))
                index += 1 + strings
            case .null:
                body(RedisStreamEntry(id: id, fields: nil, pairs: 0, bytes: bytes))
                index += 1
            default: throw .protocol("stream entry \(id) has no even field/value array")
            }
            page.count += 1
            page.lastID = id
        }
    }
}

@available(*, unavailable, message: "points into a reply that is freed when the visit ends")
extension RedisStreamEntry: Sendable {}

@inline(__always)
func _bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}
