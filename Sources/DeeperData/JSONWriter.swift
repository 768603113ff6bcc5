import DeeperKernels

/// A minimal JSON builder with a fixed key order (SPEC §10's shapes are a contract, and
/// scripts diff them), exact decimals for prices and shortest round-trip doubles otherwise.
///
/// It appends straight into a byte buffer: a worker writes a whole market's result per job,
/// and building it through `String` pieces cost ten times the computation.
public struct JSONWriter {
    /// The document so far, UTF-8.
    public private(set) var bytes: [UInt8] = []
    /// Bit `d`: the container open at depth `d` (0: the top level) already holds a value. A
    /// bit set rather than a stack of flags, so that a value costs no array bookkeeping.
    private var hasValue: UInt64 = 0
    private var depth = 0
    private var pendingKey = false

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// The document as a string.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        precondition(depth < UInt64.bitWidth, "JSON nested deeper than \(UInt64.bitWidth - 1) levels")
        hasValue &= ~(1 << UInt64(depth))
    }

    private mutating func close(_ bracket: UInt8) {
        precondition(depth > 0, "closing a JSON container that was not opened")
        depth -= 1
        bytes.append(bracket)
    }

    /// A literal key (ASCII, nothing to escape): copied as is.
    public mutating func key(_ k: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        pendingKey = true
    }

    /// A key from data (a symbol), escaped.
    public mutating func key(_ k: String) {
        separate()
        appendEscaped(k)
        bytes.append(UInt8(ascii: ":"))
        pendingKey = true
    }

    private mutating func separate() {
        if pendingKey {
            pendingKey = false
            return
        }
        let bit: UInt64 = 1 << UInt64(depth)
        if hasValue & bit != 0 { bytes.append(UInt8(ascii: ",")) }
        hasValue |= bit
    }

    public mutating func null() { separate(); bytes.append(contentsOf: [110, 117, 108, 108]) }
    public mutating func string(_ s: String) { separate(); appendEscaped(s) }
    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func bool(_ b: Bool) {
        separate()
        if b { bytes.append(contentsOf: [116, 114, 117, 101]) } else { bytes.append(contentsOf: [102, 97, 108, 115, 101]) }
    }
    public mutating func int<T: BinaryInteger>(_ v: T) { separate(); appendInteger(Int64(v)) }
    public mutating func int<T: BinaryInteger>(_ v: T?) { if let v { int(v) } else { null() } }
    public mutating func double(_ v: Double?) {
        guard let v, v.isFinite else { return null() }
        separate()
        if v == v.rounded() && abs(v) < 1e15 {
            appendInteger(Int64(v))
            bytes.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
        } else {
            // The shortest round-trip form, as `description` gives it, written straight into
            // the buffer (`description` builds a String, on the heap past 15 bytes).
            var sink = _ByteSink()
            swap(&bytes, &sink.bytes)
            v.write(to: &sink)
            swap(&bytes, &sink.bytes)
        }
    }
    /// An exact price from ticks of $0.0001.
    public mutating func price(_ ticks: Int64?) {
        guard let ticks else { return null() }
        separate()
        PriceFormat.append(ticks, places: 4, to: &bytes)
    }
    /// Pre-rendered JSON.
    public mutating func raw(_ json: String) {
        separate()
        var json = json
        json.withUTF8 { bytes.append(contentsOf: $0) }
    }
    /// Pre-rendered JSON as bytes (a document read from Redis), spliced in without a copy to
    /// `String`.
    public mutating func raw(bytes json: some Collection<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    public mutating func field(_ k: StaticString, _ v: Double?) { key(k); double(v) }
    public mutating func field(_ k: StaticString, price v: Int64?) { key(k); price(v) }
    public mutating func field<T: BinaryInteger>(_ k: StaticString, _ v: T?) { key(k); int(v) }
    public mutating func field(_ k: StaticString, _ v: String?) { key(k); string(v) }

    private mutating func appendInteger(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        PriceFormat.appendDigits(v.magnitude, minimumWidth: 1, to: &bytes)
    }

    private mutating func appendEscaped(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Symbols and messages almost never need escaping: then one copy, not a byte at a time.
        var s = s
        let plain = s.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 10: bytes.append(contentsOf: [92, 110])
            case 13: bytes.append(contentsOf: [92, 114])
            case 9: bytes.append(contentsOf: [92, 116])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)  // UTF-8 passes through unchanged
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Lets `Double.write(to:)` append to a byte buffer. The standard library hands a double's
/// ASCII digits to `_writeASCII` (a public, if underscored, `TextOutputStream` requirement);
/// were it ever to call `write(_:)` instead, the text would be the same, only built on the way.
struct _ByteSink: TextOutputStream {
    var bytes: [UInt8] = []
    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
}

/// Exact decimal text for integer ticks and thousandths.
public enum PriceFormat {
    /// `249100` → `24.91`, `250000` → `25.0`, `-183` → `-0.0183`.
    public static func decimal(_ ticks: Int64) -> String { fixed(ticks, places: 4) }

    /// For people: at least cents, `252000` → `25.20`, `249125` → `24.9125`.
    public static func cents(_ ticks: Int64) -> String { fixed(ticks, places: 4, minimumPlaces: 2) }

    /// Weights in thousandths: `400` → `0.4`.
    public static func thousandths(_ v: Int64) -> String { fixed(v, places: 3) }

    /// Appends `v` with `places` decimals (trailing zeros trimmed down to `minimumPlaces`) to `out`.
    public static func append(_ v: Int64, places: Int, minimumPlaces: Int = 1, to out: inout [UInt8]) {
        var unit: UInt64 = 1
        for _ in 0..<places { unit *= 10 }
        if v < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = v.magnitude
        appendDigits(magnitude / unit, minimumWidth: 1, to: &out)
        out.append(UInt8(ascii: "."))
        var fraction = magnitude % unit
        var width = places
        while width > minimumPlaces && fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        appendDigits(fraction, minimumWidth: width, to: &out)
    }

    /// Appends the decimal digits of `v`, zero-padded to `minimumWidth`.
    public static func appendDigits(_ v: UInt64, minimumWidth: Int, to out: inout [UInt8]) {
        // Digits fill a stack buffer from its end, zero padding included, then go out in one copy.
        let width = 20  // UInt64.max has 20 digits
        let padded = min(minimumWidth, width)
        for _ in width..<max(width, minimumWidth) { out.append(48) }  // padding beyond the buffer
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: width) { scratch in
            var rest = v
            var start = width
            repeat {
                start -= 1
                scratch[start] = UInt8(truncatingIfNeeded: rest % 10) + 48
                rest /= 10
            } while rest > 0
            while width - start < padded {
                start -= 1
                scratch[start] = 48
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start..<width]))
        }
    }

    static func fixed(_ v: Int64, places: Int, minimumPlaces: Int = 1) -> String {
        var bytes: [UInt8] = []
        append(v, places: places, minimumPlaces: minimumPlaces, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
