/// Up to 16 bytes packed into two words, plus the length (so a key never equals a shorter key
/// padded with zero bytes).
struct _ShortKey: Equatable {
    var low: UInt64
    var high: UInt64
    var length: Int

    /// A key that no bytes pack to (marks empty slots).
    static let none = _ShortKey(low: 0, high: 0, length: -1)

    init(low: UInt64, high: UInt64, length: Int) {
        self.low = low
        self.high = high
        self.length = length
    }

    /// Packs `b`, which must hold at most 16 bytes.
    @inline(__always)
    init(_ b: UnsafeBufferPointer<UInt8>) {
        self.init(b, readable: b.count)
    }

    /// Packs `b`, which must hold at most 16 bytes, of which `readable` (≥ `b.count`) may be
    /// read from `b.baseAddress`: with 16 readable, two word loads and masks replace the loop.
    @inline(__always)
    init(_ b: UnsafeBufferPointer<UInt8>, readable: Int) {
        assert(b.count <= 16 && readable >= b.count)
        if readable >= 16 {
            self = _ShortKey(wide: b)
            return
        }
        let n = b.count
        var low: UInt64 = 0
        var high: UInt64 = 0
        for k in 0..<min(n, 8) { low |= UInt64(b[k]) << UInt64(8 * k) }
        if n > 8 {
            for k in 8..<n { high |= UInt64(b[k]) << UInt64(8 * (k - 8)) }
        }
        self.low = low
        self.high = high
        self.length = n
    }

    /// Packs `b` (at most 16 bytes) with two word loads: 16 bytes from its start must be readable.
    @inline(__always)
    init(wide b: UnsafeBufferPointer<UInt8>) {
        let n = b.count
        let raw = UnsafeRawPointer(b.baseAddress!)
        // Smart shifts: a shift by 64 gives 0, so the masks are all-ones at 8 and 16 bytes.
        let lowMask = (1 as UInt64) << UInt64(8 &* min(n, 8)) &- 1
        let highMask = (1 as UInt64) << UInt64(8 &* max(n &- 8, 0)) &- 1
        low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)) & lowMask
        high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & highMask
        length = n
    }

    /// The bytes of `b` (at most 8) packed into a word, zero-padded, with one load: 8 bytes from
    /// its start must be readable.
    @inline(__always)
    static func word(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        assert(b.count <= 8)
        // Smart shift: by 64 it gives 0, so the mask is all ones at 8 bytes.
        let mask = (1 as UInt64) << UInt64(8 &* b.count) &- 1
        return UInt64(littleEndian: UnsafeRawPointer(b.baseAddress!).loadUnaligned(as: UInt64.self)) & mask
    }

    @inline(__always)
    var hash: UInt64 {
        // Multiplicative mixing (Fibonacci hashing constant); the table uses the high bits.
        ((low &* 0x9E37_79B9_7F4A_7C15) ^ high ^ UInt64(length)) &* 0xBF58_476D_1CE4_E5B9
    }
}

/// Maps raw field bytes (≤ 16) to ids, so that a repeated symbol or venue costs a few integer
/// operations instead of building and hashing a `String` on every line.
///
/// Open addressing with linear probing; the last hit is remembered, since prints of one symbol
/// often come in runs.
struct _ShortKeyCache {
    private var keys: [_ShortKey]
    private var values: [Int32]
    private var used = 0
    private var shift: UInt64
    private var lastKey = _ShortKey.none
    private var lastValue: Int32 = -1

    init() {
        keys = Array(repeating: _ShortKey.none, count: 64)
        values = Array(repeating: -1, count: 64)
        shift = 64 - 6
    }

    /// The id stored for `key`, or nil.
    @inline(__always)
    mutating func lookup(_ key: _ShortKey) -> Int32? {
        if key == lastKey { return lastValue }
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: key.hash >> shift)
        while true {
            let v = values[slot]
            if v < 0 { return nil }
            if keys[slot] == key {
                lastKey = key
                lastValue = v
                return v
            }
            slot = (slot + 1) & mask
        }
    }

    /// Stores `value` for `key`, which must not be present yet.
    @inline(never)
    mutating func insert(_ key: _ShortKey, _ value: Int32) {
        precondition(value >= 0)
        if (used + 1) * 2 > keys.count { grow() }
        place(key, value)
        used += 1
    }

    private mutating func place(_ key: _ShortKey, _ value: Int32) {
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: key.hash >> shift)
        while values[slot] >= 0 { slot = (slot + 1) & mask }
        keys[slot] = key
        values[slot] = value
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = Array(repeating: _ShortKey.none, count: oldKeys.count * 2)
        values = Array(repeating: -1, count: oldKeys.count * 2)
        shift -= 1
        for (k, v) in zip(oldKeys, oldValues) where v >= 0 { place(k, v) }
    }
}

/// Ids of keys of at most 8 bytes (a feed's venues) in a small table: one multiply, a load and
/// two compares, where `_ShortKeyCache` hashes two words and probes 24-byte keys. Holds at most
/// 64 keys; past that `insert` does nothing and the caller asks its `_ShortKeyCache`.
struct _WordKeyCache {
    private static let slots = 128
    /// Each slot's key bytes, zero-padded.
    private var words = [UInt64](repeating: 0, count: slots)
    /// Each slot's `length << 16 | id`, or -1 when empty.
    private var tags = [Int32](repeating: -1, count: slots)
    private var used = 0

    @inline(__always)
    private static func slot(_ word: UInt64, _ length: Int) -> Int {
        Int(truncatingIfNeeded: ((word ^ UInt64(truncatingIfNeeded: length)) &* 0x9E37_79B9_7F4A_7C15) >> 57)
    }

    /// The id stored for the key `word` (zero-padded bytes) of `length` bytes, or nil.
    @inline(__always)
    func lookup(_ word: UInt64, length: Int) -> UInt16? {
        var s = Self.slot(word, length)
        while true {
            let tag = tags[s]
            if tag < 0 { return nil }
            if words[s] == word && Int(tag >> 16) == length { return UInt16(truncatingIfNeeded: tag) }
            s = (s &+ 1) & (Self.slots &- 1)
        }
    }

    /// Stores `id` for a key not stored yet, unless the table is full. Requires `length <= 8`.
    mutating func insert(_ word: UInt64, length: Int, _ id: UInt16) {
        precondition(length >= 0 && length <= 8)
        guard used < Self.slots / 2 else { return }
        var s = Self.slot(word, length)
        while tags[s] >= 0 { s = (s &+ 1) & (Self.slots &- 1) }
        words[s] = word
        tags[s] = Int32(length) << 16 | Int32(id)
        used += 1
    }
}
