import DeeperKernels
import DeeperRedis
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A worker's in-memory history in a local file, so that a restarted worker reads only the
/// stream after it instead of the whole retention (README, "Snapshot").
///
/// **Format** (version 1, little-endian), columnar:
///
/// ```
/// "DEEPERHS"  u32 version  u32 0
/// u64 rules fingerprint (see `fingerprint`)   u64 last entry ms  u64 last entry seq  u64 last entry digest
/// i64 written at (ns)     i64 malformed entries  i64 ineligible  i64 stale
/// u32 venues,  each: u16 length, bytes
/// u32 symbols, each: u16 length, bytes, i64 eviction cutoff, u64 prints
/// per symbol with prints: its time (i64) column, price (i64), size (i32), venue (u16)
/// u64 bytes before this trailer   u64 checksum of those bytes
/// ```
///
/// The last entry's id and a digest of its fields say which stream the history was read
/// from; the worker compares them with Redis before it trusts the file (`Worker`).
struct HistorySnapshot {
    static let magic = Array("DEEPERHS".utf8)
    /// Bumped whenever the layout changes; a file of another version is discarded.
    static let formatVersion: UInt32 = 1

    var history: LiveHistory
    /// The newest stream entry the history holds.
    var lastID: RedisStreamID
    /// ``entryDigest(_:)`` of that entry.
    var lastEntryDigest: UInt64
    var malformedEntries: Int
    /// When the file was written (ns since the epoch).
    var writtenAt: Int64

    /// Why a file was not used, in words for the log.
    struct Rejection: Error, CustomStringConvertible {
        var description: String
        /// No file at all (the first start with this path): not worth a warning.
        var isMissing = false
    }

    // MARK: - Identity

    /// A digest of a stream entry's fields and values: with its id, what tells this stream's
    /// entry from another stream's entry that happens to have the same id.
    static func entryDigest(_ entry: RedisStreamEntry) -> UInt64 {
        var h = _SnapshotChecksum()
        for i in 0..<entry.fieldCount {
            for part in [entry.field(at: i), entry.value(at: i)] {
                var length = UInt64(part.count)
                withUnsafeBytes(of: &length) { h.add($0) }
                h.add(part)
            }
        }
        return h.value
    }

    /// Identifies what decided which prints the history kept: the rules' minimum lot (smaller
    /// prints were never stored), the market closures and the retention (which prints were
    /// evicted). Weights are derived again from the current rules on load, so other rule
    /// changes leave a snapshot usable.
    static func fingerprint(_ rules: Rules) -> UInt64 {
        var text = "min_lot \(rules.minLot); closures \(rules.extraClosures); retention \(PrintTail.retentionTradingDays)"
        return text.withUTF8 { bytes in
            var h = _SnapshotChecksum()
            h.add(UnsafeRawBufferPointer(bytes))
            return h.value
        }
    }

    // MARK: - Writing

    /// Writes the snapshot to `path` atomically: into `path.tmp`, fsync'd, renamed over
    /// `path`, and the directory fsync'd. A reader sees the old file or the new one, never a
    /// part; a crash mid-write leaves the old file as it was.
    ///
    /// `pause`, when given, runs half-way through the temporary file (the tests' window to kill
    /// a worker mid-write).
    func write(to path: String, rules: Rules, pause: (() -> Void)? = nil) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Rejection(description: "cannot create \(temporary): errno \(errno)") }
        var out = _SnapshotWriter(fd: fd)
        do {
            defer { close(fd) }
            out.bytes(Self.magic)
            out.u32(Self.formatVersion)
            out.u32(0)
            out.u64(Self.fingerprint(rules))
            out.u64(lastID.milliseconds)
            out.u64(lastID.sequence)
            out.u64(lastEntryDigest)
            out.i64(writtenAt)
            out.i64(Int64(malformedEntries))
            out.i64(Int64(history.ineligibleCount))
            out.i64(Int64(history.staleCount))
            out.u32(UInt32(history.venues.count))
            for venue in history.venues { out.string(venue) }
            out.u32(UInt32(history.symbolCount))
            for (s, symbol) in history.symbols.enumerated() {
                out.string(symbol)
                out.i64(history.evictionCutoff(ofSymbol: s))
                out.u64(UInt64(history.printCount(ofSymbol: s)))
            }
            for s in 0..<history.symbolCount {
                if s == history.symbolCount / 2 { try out.flush(); pause?() }
                let (columns, range) = history.history(ofSymbol: s)
                guard !range.isEmpty else { continue }
                out.column(columns.time, range)
                out.column(columns.price, range)
                out.column(columns.size, range)
                out.column(columns.venue, range)
            }
            try out.finish()
            guard fsync(fd) == 0 else { throw Rejection(description: "fsync \(temporary): errno \(errno)") }
        }
        guard rename(temporary, path) == 0 else { throw Rejection(description: "rename to \(path): errno \(errno)") }
        // The rename itself is durable only once the directory is.
        let directory = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    // MARK: - Reading

    /// Reads and checks a snapshot file (not yet against Redis).
    static func load(from path: String, rules: Rules) -> Result<HistorySnapshot, Rejection> {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: path)
            return .failure(Rejection(description: missing ? "no snapshot at \(path) yet" : "cannot read \(path): \(error)", isMissing: missing))
        }
        return data.withUnsafeBytes { bytes in
            do throws(Rejection) {
                return .success(try parse(bytes, rules: rules))
            } catch {
                return .failure(error)
            }
        }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, rules: Rules) throws(Rejection) -> HistorySnapshot {
        func corrupt(_ why: String) -> Rejection { Rejection(description: "the file is corrupt or truncated (\(why))") }
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw Rejection(description: "not a Deeper snapshot file") }
        var r = _SnapshotReader(bytes, end: bytes.count)
        r.at = 8
        let version = r.u32() ?? 0
        guard version == formatVersion else {
            throw Rejection(description: "format version \(version); this worker reads version \(formatVersion)")
        }
        guard bytes.count >= 32 else { throw corrupt("no trailer") }
        var trailer = _SnapshotReader(bytes, end: bytes.count)
        trailer.at = bytes.count - 16
        guard let bodyLength = trailer.u64(), let checksum = trailer.u64(), bodyLength == UInt64(bytes.count - 16) else {
            throw corrupt("its length is not the one it recorded")
        }
        var h = _SnapshotChecksum()
        h.add(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 16)]))
        guard h.value == checksum else { throw corrupt("checksum mismatch") }
        r = _SnapshotReader(bytes, end: bytes.count - 16)
        r.at = 16
        guard let fingerprint = r.u64(), let ms = r.u64(), let seq = r.u64(), let digest = r.u64(),
            let writtenAt = r.i64(), let malformed = r.i64(), let ineligible = r.i64(), let stale = r.i64()
        else { throw corrupt("short header") }
        guard fingerprint == Self.fingerprint(rules) else {
            throw Rejection(description: "it was made under another min_lot, market calendar or retention")
        }
        var history = LiveHistory(rules: rules)
        guard let venueCount = r.u32() else { throw corrupt("no venue table") }
        for v in 0..<Int(venueCount) {
            guard let venue = r.string() else { throw corrupt("venue table") }
            // Interned in recorded order, so ids come out as recorded (0 is "").
            guard v == 0 ? venue.isEmpty : Int(history.internVenue(venue)) == v else { throw corrupt("venue table") }
        }
        guard let symbolCount = r.u32() else { throw corrupt("no symbol table") }
        var symbols: [(cutoff: Int64, prints: Int)] = []
        for s in 0..<Int(symbolCount) {
            guard let symbol = r.string(), let cutoff = r.i64(), let prints = r.u64(), prints < UInt64(Int32.max),
                history.internSymbol(symbol) == s
            else { throw corrupt("symbol table") }
            symbols.append((cutoff, Int(prints)))
        }
        for (s, symbol) in symbols.enumerated() {  // A symbol without prints has empty columns: 0 bytes.
            guard let time = r.column(Int64.self, symbol.prints), let price = r.column(Int64.self, symbol.prints),
                let size = r.column(Int32.self, symbol.prints), let venue = r.column(UInt16.self, symbol.prints)
            else { throw corrupt("columns of \(history.symbols[s])") }
            // What restorePrints requires, checked here so a bad file is refused, not a crash.
            for i in 0..<symbol.prints {
                guard Int(venue[i]) < Int(venueCount), size[i] >= rules.minLot, time[i] >= symbol.cutoff,
                    i == 0 || time[i - 1] <= time[i]
                else { throw corrupt("print \(i) of \(history.symbols[s])") }
            }
            time.withUnsafeBufferPointer { t in
                price.withUnsafeBufferPointer { p in
                    size.withUnsafeBufferPointer { z in
                        venue.withUnsafeBufferPointer { v in
                            history.restorePrints(ofSymbol: s, evictionCutoff: symbol.cutoff, time: t, price: p, size: z, venue: v)
                        }
                    }
                }
            }
        }
        guard r.at == r.end else { throw corrupt("bytes after the columns") }
        history.restoreDroppedCounts(ineligible: Int(ineligible), stale: Int(stale))
        return HistorySnapshot(
            history: history, lastID: RedisStreamID(milliseconds: ms, sequence: seq), lastEntryDigest: digest,
            malformedEntries: Int(malformed), writtenAt: writtenAt)
    }
}

/// A 64-bit checksum over a byte sequence fed in any chunks (the same bytes give the same
/// value however they are split): eight bytes a step, one multiply each. It catches torn and
/// flipped files; it is not meant to resist someone forging one.
struct _SnapshotChecksum {
    private var state: UInt64 = 0x243F_6A88_85A3_08D3
    private var pending: UInt64 = 0
    private var pendingBytes = 0
    private var length: UInt64 = 0

    @inline(__always)
    private mutating func mix(_ word: UInt64) {
        state = (state ^ word) &* 0x9E37_79B9_7F4A_7C15  // Wrapping: a hash.
        state ^= state >> 29
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var i = 0
        while pendingBytes > 0 && i < bytes.count {
            pending |= UInt64(bytes[i]) << (8 * UInt64(pendingBytes))
            pendingBytes += 1
            i += 1
            if pendingBytes == 8 {
                mix(pending)
                pending = 0
                pendingBytes = 0
            }
        }
        while i + 8 <= bytes.count {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        while i < bytes.count {
            pending |= UInt64(bytes[i]) << (8 * UInt64(pendingBytes))
            pendingBytes += 1
            i += 1
        }
    }

    var value: UInt64 {
        var copy = self
        if copy.pendingBytes > 0 { copy.mix(copy.pending) }
        copy.mix(length)
        return copy.state
    }
}

/// Buffered little-endian writes to a file descriptor, checksummed as they go.
private struct _SnapshotWriter {
    let fd: Int32
    var buffer: [UInt8] = []
    var checksum = _SnapshotChecksum()
    var written: UInt64 = 0
    var error: Int32 = 0

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    mutating func bytes(_ b: some Collection<UInt8>) {
        buffer.append(contentsOf: b)
        if buffer.count >= 1 << 20 { try? flush() }
    }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes($0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes($0) } }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes($0) } }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
        withUnsafeBytes(of: UInt16(utf8.count).littleEndian) { bytes($0) }
        bytes(utf8)
    }

    /// A column slice as raw bytes (the platforms Deeper runs on are little-endian).
    mutating func column<T>(_ values: [T], _ range: Range<Int>) {
        values.withUnsafeBufferPointer { b in
            let slice = UnsafeBufferPointer(rebasing: b[range])
            let raw = UnsafeRawBufferPointer(slice)
            if raw.count >= 1 << 16 {
                try? flush()
                writeAll(raw)
            } else {
                bytes(raw)
            }
        }
    }

    mutating func flush() throws {
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        pending.withUnsafeBytes { writeAll($0) }
        if error != 0 { throw HistorySnapshot.Rejection(description: "write failed: errno \(error)") }
    }

    private mutating func writeAll(_ raw: UnsafeRawBufferPointer) {
        checksum.add(raw)
        written += UInt64(raw.count)
        var offset = 0
        while offset < raw.count && error == 0 {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                error = errno
            } else {
                offset += n
            }
        }
    }

    /// Writes the trailer: the length so far and the checksum of everything before it.
    mutating func finish() throws {
        try flush()
        let length = written
        let sum = checksum.value
        u64(length)
        u64(sum)
        try flush()
    }
}

/// Bounds-checked little-endian reads; every read returns nil past `end`.
private struct _SnapshotReader {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    var at = 0

    init(_ bytes: UnsafeRawBufferPointer, end: Int) {
        self.bytes = bytes
        self.end = end
    }

    mutating func take(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, at + n <= end else { return nil }
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
    }
    mutating func u32() -> UInt32? { take(4).map { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) } }
    mutating func u64() -> UInt64? { take(8).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } }
    mutating func i64() -> Int64? { take(8).map { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) } }
    mutating func string() -> String? {
        guard let n = take(2).map({ Int(UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) }), let b = take(n) else {
            return nil
        }
        return String(validating: b, as: UTF8.self)
    }
    mutating func column<T>(_ type: T.Type, _ count: Int) -> [T]? {
        guard let raw = take(count * MemoryLayout<T>.stride) else { return nil }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = count
        }
    }
}
