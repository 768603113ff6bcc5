import DeeperData
import DeeperQueue
import DeeperRedis
import Logging
import ServiceLifecycle
import Synchronization

/// What one WebSocket that asked for live updates (`/ws?live=1`) has not been sent yet: the
/// newest row of each changed symbol, coalesced.
///
/// A client that reads slower than rows change never holds up the others and never grows the
/// server's memory past one row per symbol (the strings are shared with every other mailbox):
/// it gets fewer, larger messages, each with the newest rows, so it never shows a row older
/// than one it was already sent.
final class LiveMailbox: Sendable {
    struct Contents: Sendable {
        var asOf: String?
        var rows: [String: [UInt8]] = [:]
        /// Updates may have been missed: the client should read `GET /live` again.
        var resync = false

        var isEmpty: Bool { rows.isEmpty && !resync }
    }

    private let contents = Mutex(Contents())
    private let wake: AsyncStream<Void>.Continuation
    /// One element whenever something arrived since the last ``take()``; ends with the hub.
    let arrivals: AsyncStream<Void>

    init() {
        (arrivals, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func deliver(asOf: String?, rows: [(symbol: String, row: [UInt8])]) {
        contents.withLock { c in
            if let asOf { c.asOf = asOf }
            for (symbol, row) in rows { c.rows[symbol] = row }
        }
        wake.yield()
    }

    func requestResync() {
        contents.withLock { $0.resync = true }
        wake.yield()
    }

    /// Everything pending, leaving the mailbox empty.
    func take() -> Contents {
        contents.withLock { c in
            defer { c = Contents() }
            return c
        }
    }

    func finish() { wake.finish() }

    /// The messages `contents` makes: the resync notice first, then the rows, sorted by symbol.
    static func messages(_ contents: Contents) -> [String] {
        var messages: [String] = []
        if contents.resync { messages.append(LiveDocuments.resync) }
        if !contents.rows.isEmpty {
            messages.append(
                LiveDocuments.update(asOf: contents.asOf, rows: contents.rows.sorted { $0.key < $1.key }))
        }
        return messages
    }
}

/// `{"as_of": …, "symbols": [...]}` as published on `deeper_analysis:live_updates`.
struct LiveUpdateNotice: Equatable, Sendable {
    var asOf: String?
    var symbols: [String]

    /// The notice in `payload`; nil when it is not an object with a `symbols` array of strings
    /// (elements that are not valid symbols are skipped).
    init?(_ payload: UnsafeRawBufferPointer) {
        guard let value = try? JSONScanner.parse(payload), case .array(let list)? = value["symbols"] else { return nil }
        if case .string(let asOf)? = value["as_of"] { self.asOf = asOf }
        symbols = list.compactMap { element in
            guard case .string(let symbol) = element, DeeperAPIServer.isValidSymbol(symbol) else { return nil }
            return symbol
        }
    }

    init(asOf: String?, symbols: [String]) {
        self.asOf = asOf
        self.symbols = symbols
    }
}

/// Turns live notices into WebSocket messages: the subscriber thread hands each notice over
/// (``notice(_:)``); one task reads the changed rows with `HMGET` and hands them to every live
/// mailbox.
///
/// Notices that arrive while a read is under way are merged into the next read (one row per
/// symbol), and reads never overlap, so a row read later is always delivered later: a client
/// never gets an older row after a newer one. Nothing is read while no client listens.
final class LiveUpdateRelay: Service, Sendable {
    private struct Pending {
        var asOf: String?
        var symbols: Set<String> = []
    }

    /// How many fields one `HMGET` asks for: a full refresh of thousands of symbols is read in
    /// a few round trips, none holding Redis for long.
    static let batchSize = 500

    private let pool: BlockingRedisPool
    private let hub: JobEventHub
    private let metrics: APIMetrics
    private let logger: Logger
    private let pending = Mutex(Pending())
    private let wake: AsyncStream<Void>.Continuation
    private let arrivals: AsyncStream<Void>
    private let relayed = Atomic<Int>(0)
    /// symbol → the row last handed to the mailboxes (storage shared with them).
    private let lastSent = Mutex<[String: [UInt8]]>([:])

    init(pool: BlockingRedisPool, hub: JobEventHub, metrics: APIMetrics, logger: Logger) {
        self.pool = pool
        self.hub = hub
        self.metrics = metrics
        self.logger = logger
        (arrivals, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Live messages sent to the mailboxes so far (for tests and `/metrics`).
    var relayedCount: Int { relayed.load(ordering: .relaxed) }

    /// Queues the symbols of `notice` for the next read.
    func notice(_ notice: LiveUpdateNotice) {
        guard !notice.symbols.isEmpty, hub.liveListenerCount > 0 else { return }
        pending.withLock { p in
            if let asOf = notice.asOf { p.asOf = asOf }
            p.symbols.formUnion(notice.symbols)
        }
        wake.yield()
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in arrivals {
                let batch = pending.withLock { p in
                    defer { p = Pending() }
                    return p
                }
                guard !batch.symbols.isEmpty else { continue }
                do {
                    let rows = changedSinceLastSent(try await read(batch.symbols.sorted()))
                    guard !rows.isEmpty else { continue }
                    hub.publishLive(asOf: batch.asOf, rows: rows)
                    relayed.add(1, ordering: .relaxed)
                    metrics.countLiveUpdate()
                } catch {
                    // Rows not read are not guessed at: clients are told to read /live again.
                    logger.error("Live updates: could not read \(batch.symbols.count) changed row(s): \(error)")
                    hub.requestLiveResync()
                }
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }

    /// `rows` less those already sent exactly so: a read that follows a notice may find the
    /// row the previous read already sent (the worker wrote it before the previous read).
    private func changedSinceLastSent(_ rows: [(symbol: String, row: [UInt8])]) -> [(symbol: String, row: [UInt8])] {
        lastSent.withLock { sent in
            rows.filter { symbol, row in
                guard sent[symbol] != row else { return false }
                sent[symbol] = row
                return true
            }
        }
    }

    /// The stored rows of `symbols` (those that have one).
    private func read(_ symbols: [String]) async throws -> [(symbol: String, row: [UInt8])] {
        try await pool.withConnection { (c) throws(RedisError) in
            var rows: [(symbol: String, row: [UInt8])] = []
            var start = 0
            while start < symbols.count {
                let chunk = symbols[start..<min(symbols.count, start + Self.batchSize)]
                let reply = try c.command(["HMGET", RedisKeys.live] + chunk)
                guard let values = reply.array, values.count == chunk.count else {
                    throw .protocol("HMGET \(RedisKeys.live): unexpected reply \(reply)")
                }
                for (symbol, value) in zip(chunk, values) {
                    if let row = value.bytes { rows.append((symbol, row)) }
                }
                start += chunk.count
            }
            return rows
        }
    }
}
