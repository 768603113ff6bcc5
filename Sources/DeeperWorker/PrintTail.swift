import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import Logging
import Synchronization

/// Keeps every symbol's recent history in memory by reading the print stream: first in pages
/// from the start of the retention, then tailing it.
///
/// Only the tail's own thread reads the stream; jobs take copy-on-write snapshots of the
/// history and wait (`waitUntilApplied`) for the entries that existed when they were taken.
///
/// **Retention is per symbol**: a symbol keeps its prints of the last `retentionTradingDays`
/// trading days before its own newest print, so no print of one symbol (however it is stamped)
/// moves another symbol's history, and a replayed past week stays whole. Entries stamped more
/// than `FutureTolerance` ahead of the moment they arrived (their entry id, or the clock if
/// that is earlier) are skipped as malformed.
///
/// **The history must be the stream's.** Every read after the first starts *at* the last entry
/// applied (inclusive); when that entry no longer comes back first, the stream in Redis is not
/// the one this history was read from (Redis restarted without persistence, `FLUSHALL`, the
/// stream deleted and re-fed, or trimmed past the read position), and the tail rebuilds the
/// history from what Redis holds now, logging why.
public final class PrintTail: Sendable {
    /// Trading days of prints kept in memory, before each symbol's newest print.
    public static let retentionTradingDays = PrintRetention.workerTradingDays
    static let pageSize = 10_000

    private struct State {
        var history: LiveHistory
        var lastID = RedisStreamID.zero
        var malformedEntries = 0
        /// Times the history was rebuilt because the stream changed under it.
        var rebuilds = 0
    }

    private let state: Mutex<State>
    private let rules: Rules
    private let calendar: TradingCalendar
    private let logger: Logger
    private let futureTolerance: FutureTolerance

    public init(rules: Rules, calendar: TradingCalendar, logger: Logger, futureTolerance: FutureTolerance = .default) {
        self.state = Mutex(State(history: LiveHistory(rules: rules)))
        self.rules = rules
        self.calendar = calendar
        self.logger = logger
        self.futureTolerance = futureTolerance
    }

    /// A consistent copy of the history (cheap: copy-on-write).
    public func snapshot() -> LiveHistory { state.withLock { $0.history } }

    /// The ID of the newest stream entry applied so far.
    public var lastAppliedID: RedisStreamID { state.withLock { $0.lastID } }

    /// Entries that could not be read as prints (skipped and counted, never fatal).
    public var malformedEntries: Int { state.withLock { $0.malformedEntries } }

    /// Times the history was rebuilt because the stream in Redis was no longer the one read.
    public var rebuilds: Int { state.withLock { $0.rebuilds } }

    /// Reads the stream from the retention start to its current end, page by page (pipelined:
    /// Redis sends the next page while this one is parsed), applying each page as it comes.
    ///
    /// - Returns: the number of entries read.
    @discardableResult
    public func bootstrap(_ redis: RedisConnection, retentionStartMilliseconds: Int64) throws(RedisError) -> Int {
        try readToEnd(redis, from: "\(max(0, retentionStartMilliseconds))-0")
    }

    /// Reads the stream after entry `id` (the last one a restored snapshot holds) to its
    /// current end, as ``bootstrap(_:retentionStartMilliseconds:)`` does from the retention start.
    @discardableResult
    public func bootstrap(_ redis: RedisConnection, after id: RedisStreamID) throws(RedisError) -> Int {
        try readToEnd(redis, from: "(" + id.description)
    }

    /// Pages from `start` (an XRANGE start) to the stream's end, applying each page.
    private func readToEnd(_ redis: RedisConnection, from start: String) throws(RedisError) -> Int {
        var batch = _ParsedPrints()
        let now = WallClock.now() / Nanos.perMillisecond
        let tolerance = futureTolerance
        return try redis.xrangePages(RedisKeys.prints, from: start, pageSize: Self.pageSize) { entry in
            batch.add(entry, now: now, tolerance: tolerance)
        } endOfPage: { page in
            apply(&batch, page: page)
        }
    }

    /// The history with the last entry applied and the malformed count, taken together.
    func snapshotState() -> (history: LiveHistory, lastID: RedisStreamID, malformed: Int) {
        state.withLock { ($0.history, $0.lastID, $0.malformedEntries) }
    }

    /// Replaces the history with one a snapshot recorded (before the tail starts).
    func restore(_ snapshot: HistorySnapshot) {
        state.withLock { s in
            s.history = snapshot.history
            s.lastID = snapshot.lastID
            s.malformedEntries = snapshot.malformedEntries
        }
    }

    /// Reads what arrived after the last entry applied and applies it; when nothing did, waits
    /// up to `block` for something to arrive (and reads it on the next call). Returns how many
    /// entries were applied.
    ///
    /// When the last entry applied is no longer in the stream, rebuilds the history from Redis
    /// first (see the type's notes).
    @discardableResult
    public func tailOnce(_ redis: RedisConnection, block: Duration) throws(RedisError) -> Int {
        let after = lastAppliedID
        if after == .zero {
            // Nothing read yet, so nothing to check: wait for the first entries and apply them.
            return try readPage(redis) { (body) throws(RedisError) in
                try redis.xread(RedisKeys.prints, after: after, count: Self.pageSize, block: block, body)
            }.count
        }
        // One command reads the last entry applied and what follows it, so the check and the
        // read see the same stream.
        var first: RedisStreamID?
        let page = try readPage(redis, unless: { first != after }) { (body) throws(RedisError) in
            try redis.xrange(RedisKeys.prints, from: after.description, count: Self.pageSize + 1) { entry in
                if first == nil {
                    first = entry.id
                    if entry.id == after { return }  // Already applied: the continuity check.
                }
                body(entry)
            }
        }
        if first != after {
            let why =
                first == nil
                ? "the print stream is gone or empty (Redis restarted without persistence, FLUSHALL or DEL?)"
                : "the print stream no longer holds entry \(after), the last this worker read (Redis restarted without persistence, FLUSHALL, the stream deleted and re-fed, or trimmed past it?)"
            return try rebuild(redis, because: why)
        }
        if page.count > 1 { return page.count - 1 }
        // Caught up: block until something newer arrives. What this read brings is dropped
        // and read again, checked, by the next call.
        _ = try redis.xread(RedisKeys.prints, after: after, count: 1, block: block) { _ in }
        return 0
    }

    /// Replaces the history with one read afresh from the stream (from the retention start).
    ///
    /// - Returns: the number of entries read.
    @discardableResult
    public func rebuild(_ redis: RedisConnection, because why: String) throws(RedisError) -> Int {
        logger.warning("\(why): rebuilding its history from Redis")
        let clock = ContinuousClock()
        let started = clock.now
        state.withLock { s in
            s.history = LiveHistory(rules: rules)
            s.lastID = .zero
            s.rebuilds += 1
        }
        let start = Feed.retentionStartMilliseconds(calendar: calendar, now: WallClock.now())
        let read = try bootstrap(redis, retentionStartMilliseconds: start)
        let history = snapshot()
        logger.notice(
            "Rebuilt the history from the print stream: \(read) entries, \(history.count) prints of \(history.symbolCount) symbols in \(started.duration(to: clock.now))")
        return read
    }

    /// Blocks the calling thread until the entry `id` has been applied, or `timeout` passes.
    ///
    /// `id` is the stream's newest entry when a job was taken (nil: the stream was empty or
    /// missing). An `id` older than what was applied (or none, when something was) means the
    /// stream was replaced; then the history counts only once the tail has rebuilt it.
    ///
    /// - Returns: whether it was applied in time.
    public func waitUntilApplied(_ id: RedisStreamID?, timeout: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let (appliedAtStart, rebuildsAtStart) = state.withLock { ($0.lastID, $0.rebuilds) }
        let replaced = id.map { $0 < appliedAtStart } ?? (appliedAtStart != .zero)
        while true {
            let (applied, rebuilds) = state.withLock { ($0.lastID, $0.rebuilds) }
            if (!replaced || rebuilds > rebuildsAtStart) && applied >= (id ?? .zero) { return true }
            if clock.now >= deadline { return false }
            sleepThread(for: .microseconds(200))
        }
    }

    /// Reads one page with `read`, parsing entries into a local buffer, then applies them
    /// under the lock in one go (the lock is never held across network I/O) — unless `skip`
    /// says, once the page is read, that it must not be applied.
    private func readPage(
        _ redis: RedisConnection,
        unless skip: () -> Bool = { false },
        _ read: ((RedisStreamEntry) -> Void) throws(RedisError) -> RedisStreamPage
    ) throws(RedisError) -> RedisStreamPage {
        var batch = _ParsedPrints()
        let now = WallClock.now() / Nanos.perMillisecond
        let tolerance = futureTolerance
        let page = try read { entry in batch.add(entry, now: now, tolerance: tolerance) }
        if !skip() { apply(&batch, page: page) }
        return page
    }

    /// Applies a parsed page under the lock and empties `batch` (keeping its capacity).
    private func apply(_ batch: inout _ParsedPrints, page: RedisStreamPage) {
        defer { batch.removeAll() }
        guard let lastID = page.lastID else { return }
        state.withLock { s in
            let touched = batch.apply(to: &s.history)
            s.malformedEntries += batch.malformed
            s.lastID = lastID
            // Each symbol keeps the trading days before its own newest print: a print moves
            // only its own symbol's window.
            for symbol in touched {
                guard let newest = s.history.newestTime(ofSymbol: symbol) else { continue }
                let cutoff = calendar.windowStart(tradingDays: Self.retentionTradingDays, at: newest)
                s.history.evict(symbolID: symbol, before: cutoff)
            }
        }
        if batch.malformed > 0 {
            logger.warning(
                "Skipped malformed stream entries",
                metadata: ["count": "\(batch.malformed)", "first": "\(batch.firstProblem ?? "")"])
        }
    }
}

/// Prints parsed from one page of stream entries, waiting to be applied under the lock.
struct _ParsedPrints {
    var symbols: [UInt8] = []
    var symbolEnds: [Int] = []
    var venues: [UInt8] = []
    var venueEnds: [Int] = []
    var times: [Int64] = []
    var prices: [Int64] = []
    var sizes: [Int32] = []
    var malformed = 0
    var firstProblem: String?

    /// Reads fields `sym`, `t` (epoch ms), `p`, `s`, `v` of a stream entry (docs/REDIS.md, "Prints"), in one
    /// pass over its fields (other fields are ignored), each trimmed of surrounding spaces as
    /// CSV fields are (SPEC §1).
    ///
    /// A `t` more than `tolerance` ahead of when the entry arrived is refused: "arrived" is the
    /// entry id's milliseconds (Redis's clock at `XADD *`), or `now` (epoch ms) if that is
    /// earlier, so every worker, now or after a restart, takes the same entries.
    mutating func add(_ entry: RedisStreamEntry, now: Int64, tolerance: FutureTolerance) {
        var sym: UnsafeRawBufferPointer?
        var t: UnsafeRawBufferPointer?
        var p: UnsafeRawBufferPointer?
        var s: UnsafeRawBufferPointer?
        var v: UnsafeRawBufferPointer?
        for i in 0..<entry.fieldCount {
            let name = entry.field(at: i)
            switch (name.count, name.first) {
            case (3, UInt8(ascii: "s")) where name[1] == UInt8(ascii: "y") && name[2] == UInt8(ascii: "m"):
                sym = entry.value(at: i)
            case (1, UInt8(ascii: "t")): t = entry.value(at: i)
            case (1, UInt8(ascii: "p")): p = entry.value(at: i)
            case (1, UInt8(ascii: "s")): s = entry.value(at: i)
            case (1, UInt8(ascii: "v")): v = entry.value(at: i)
            default: break
            }
        }
        guard let sym = sym.map(PrintFields.trimmingSpaces), PrintFields.isValidSymbol(sym) else {
            return reject(entry, "missing or invalid sym")
        }
        guard let t, let ms = Self.milliseconds(PrintFields.trimmingSpaces(t)) else {
            return reject(entry, "missing or invalid t (epoch ms)")
        }
        guard let p, let price = PrintFields.priceTicks(PrintFields.trimmingSpaces(p)) else {
            return reject(entry, "missing or invalid p")
        }
        guard let s, let size = PrintFields.size(PrintFields.trimmingSpaces(s)) else {
            return reject(entry, "missing or invalid s")
        }
        let arrived = min(Int64(clamping: entry.id.milliseconds), now)
        guard ms <= arrived &+ tolerance.milliseconds else {  // Safe: both far below Int64.max.
            return reject(entry, "t \(ms) is \(tolerance.reason)")
        }
        if let v, !PrintFields.isValidVenue(PrintFields.trimmingSpaces(v)) {
            return reject(entry, "invalid v (at most \(PrintFields.maxVenueBytes) bytes of printable ASCII)")
        }
        symbols.append(contentsOf: sym)
        symbolEnds.append(symbols.count)
        if let v { venues.append(contentsOf: PrintFields.trimmingSpaces(v)) }
        venueEnds.append(venues.count)
        times.append(ms * Nanos.perMillisecond)
        prices.append(price)
        sizes.append(size)
    }

    /// Empties the batch for the next page, keeping its buffers' capacity.
    mutating func removeAll() {
        symbols.removeAll(keepingCapacity: true)
        symbolEnds.removeAll(keepingCapacity: true)
        venues.removeAll(keepingCapacity: true)
        venueEnds.removeAll(keepingCapacity: true)
        times.removeAll(keepingCapacity: true)
        prices.removeAll(keepingCapacity: true)
        sizes.removeAll(keepingCapacity: true)
        malformed = 0
        firstProblem = nil
    }

    /// Non-negative epoch milliseconds that fit nanoseconds in an Int64.
    static func milliseconds(_ b: UnsafeRawBufferPointer) -> Int64? {
        guard !b.isEmpty, b.count <= 13 else { return nil }
        var v: Int64 = 0
        for c in b {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int64(c - 48)
        }
        return v < Int64.max / Nanos.perMillisecond ? v : nil
    }

    mutating func reject(_ entry: RedisStreamEntry, _ why: String) {
        malformed += 1
        if firstProblem == nil { firstProblem = "entry \(entry.id): \(why)" }
    }

    /// Appends the prints to `history`; returns the ids of the symbols they belong to.
    func apply(to history: inout LiveHistory) -> Set<Int> {
        var symbolStart = 0
        var venueStart = 0
        var touched = Set<Int>()
        symbols.withUnsafeBytes { symbolBytes in
            venues.withUnsafeBytes { venueBytes in
                for i in 0..<times.count {
                    let sym = UnsafeRawBufferPointer(rebasing: symbolBytes[symbolStart..<symbolEnds[i]])
                    let ven = UnsafeRawBufferPointer(rebasing: venueBytes[venueStart..<venueEnds[i]])
                    let s = history.internSymbol(utf8: sym)
                    let v = history.internVenue(utf8: ven)
                    history.append(symbolID: s, time: times[i], price: prices[i], size: sizes[i], venueID: v)
                    touched.insert(s)
                    symbolStart = symbolEnds[i]
                    venueStart = venueEnds[i]
                }
            }
        }
        return touched
    }
}
