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

/// One stream entry, read in place from hiredis's reply: its ID and its field/value pairs as
/// raw bytes. Nothing is copied and no `String` is built.
///
/// - Warning: The entry and every buffer it hands out point into a reply that is freed when
///   the visiting closure returns. Parse what you need inside the closure; never store the
///   entry or its buffers.
public struct RedisStreamEntry {
    /// The entry's ID.
    public let id: RedisStreamID
    /// The flat `[field, value, field, value, …]` array, or `nil` when Redis sent none (an
    /// entry deleted while pending in a consumer group).
    let _fields: RedisReplyView?

    init(id: RedisStreamID, fields: RedisReplyView?) {
        self.id = id
        self._fields = fields
    }

    /// The number of field/value pairs.
    public var fieldCount: Int { (_fields?.count ?? 0) / 2 }

    /// The name of field `index` (0-based, in the order they were added).
    public func field(at index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < fieldCount, "field index \(index) out of range")
        return _fields.unsafelyUnwrapped[2 * index].bytes  // Non-nil: fieldCount > 0.
    }

    /// The value of field `index` (0-based, in the order they were added).
    public func value(at index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < fieldCount, "field index \(index) out of range")
        return _fields.unsafelyUnwrapped[2 * index + 1].bytes  // Non-nil: fieldCount > 0.
    }

    /// The value of the first field named `name`, or `nil` when the entry has no such field.
    ///
    /// A linear scan: entries carry a handful of fields, so this beats any index.
    public func value(forField name: StaticString) -> UnsafeRawBufferPointer? {
        guard let fields = _fields else { return nil }
        let key = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var index = 0
        while index + 1 < fields.count {
            if _bytesEqual(fields[index].bytes, key) { return fields[index + 1].bytes }
            index += 2
        }
        return nil
    }

    /// The value of field `name` read as a decimal integer; `nil` when the field is missing
    /// or does not hold exactly one integer.
    public func integer(forField name: StaticString) -> Int64? {
        value(forField: name).flatMap(_parseDecimalInt64)
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
