internal import CHiredis
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The only file that sees hiredis. Everything that touches a `redisContext` or a `redisReply`
// lives here: the connection, the reply view, and the reply-tree ownership types.

/// One blocking connection to Redis (hiredis), safe to share between threads and tasks.
///
/// Calls are serialized by a mutex around the hiredis context: a second caller waits until
/// the first one's command is answered. Every call blocks its thread on socket I/O, so in
/// production call it from a thread of its own (or a thread pool), not from the Swift
/// concurrency pool, where a slow Redis would stall unrelated tasks.
///
/// After a ``RedisError/connection(_:)`` the connection is dead: every call throws again
/// until ``reconnect()`` succeeds. ``RedisError/server(_:)`` leaves it usable.
///
/// It is `Sendable` without `@unchecked`: the context pointer is reachable only through the
/// `Mutex`, and no call hands it out.
public final class RedisConnection: Sendable {
    /// What the connection was made with; ``reconnect()`` uses it again.
    public let configuration: RedisConfiguration

    private let state: Mutex<_State>

    /// A live hiredis context.
    fileprivate typealias _Context = UnsafeMutablePointer<redisContext>

    /// Everything the mutex guards.
    fileprivate struct _State {
        /// `nil` after a failed ``reconnect()``.
        var context: _Context?
        /// Set once the context failed; later calls throw it without touching the socket.
        var failure: RedisError?
        /// The arguments of a single command, reused so that ``command(_:)`` allocates
        /// nothing on the Swift side once it has grown.
        var scratch = RedisCommandBatch()
        /// `argv`/`argvlen` for `redisAppendCommandArgv`, grown to the widest command seen.
        var argv: [UnsafePointer<CChar>?] = []
        var argvLengths: [Int] = []
        /// Where stream reads put their replies (``_FlatReplyBuffer``), reused from read to read.
        let flat: UnsafeMutablePointer<_FlatReplyBuffer> = {
            let p = UnsafeMutablePointer<_FlatReplyBuffer>.allocate(capacity: 1)
            p.initialize(to: _FlatReplyBuffer())
            return p
        }()
    }

    /// Connects, sets the command timeout, and sends `AUTH` and `SELECT` as configured.
    ///
    /// - Throws: ``RedisError/connection(_:)`` when the server cannot be reached in
    ///   `connectTimeout`; ``RedisError/server(_:)`` when `AUTH` or `SELECT` is refused.
    public init(_ configuration: RedisConfiguration = RedisConfiguration()) throws(RedisError) {
        self.configuration = configuration
        let context = try Self._connect(configuration)
        self.state = Mutex(_State(context: context))
    }

    deinit {
        state.withLock { state in
            if let context = state.context { redisFree(context) }
            state.context = nil
            state.flat.pointee.release()
            state.flat.deinitialize(count: 1)
            state.flat.deallocate()
        }
    }

    /// Whether the last call left the connection usable (no connection error since it was
    /// made or last reconnected).
    public var isConnected: Bool {
        state.withLock { $0.context != nil && $0.failure == nil }
    }

    /// Drops the current socket and connects again with the same configuration (`AUTH`,
    /// `SELECT` and timeouts included).
    ///
    /// Works whether or not the old connection had failed. On failure the connection stays
    /// unusable and the caller tries again later.
    public func reconnect() throws(RedisError) {
        try state.withLock { (state) throws(RedisError) in
            if let context = state.context { redisFree(context) }
            state.context = nil
            do throws(RedisError) {
                state.context = try Self._connect(configuration)
                state.failure = nil
            } catch {
                state.failure = error
                throw error
            }
        }
    }

    // MARK: - Commands

    /// Sends one command (name first) and returns its reply.
    ///
    /// - Throws: ``RedisError/server(_:)`` for an error reply (the connection stays usable);
    ///   ``RedisError/connection(_:)`` when the connection failed.
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try withReply(filling: { $0.append(arguments) }, \.reply)
    }

    /// Sends one command whose arguments are raw bytes (binary-safe keys and values) and
    /// returns its reply.
    ///
    /// - Throws: as ``command(_:)``.
    public func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        try withReply(filling: { $0.append(bytes: arguments) }, \.reply)
    }

    /// Sends one command and lets `body` read its reply in place, without copying it.
    ///
    /// `body` runs after the connection's lock is released, so it may call the connection
    /// again. A top-level error reply is thrown as ``RedisError/server(_:)`` before `body`
    /// runs.
    ///
    /// - Warning: The view and every buffer taken from it are valid only inside `body`.
    package func withReply<T>(
        _ arguments: [String],
        _ body: (RedisReplyView) throws(RedisError) -> T
    ) throws(RedisError) -> T {
        try withReply(filling: { $0.append(arguments) }, body)
    }

    /// Fills the scratch batch with one command, sends it, and visits the reply.
    private func withReply<T>(
        filling fill: (inout RedisCommandBatch) -> Void,
        _ body: (RedisReplyView) throws(RedisError) -> T
    ) throws(RedisError) -> T {
        let owned = try state.withLock { (state) throws(RedisError) -> _OwnedReplies in
            let context = try state.usableContext()
            state.scratch.removeAll()
            fill(&state.scratch)
            return try state.exchange(state.scratch, on: context)
        }
        let reply = owned.view(0)
        if reply.kind == .error { throw .server(reply.text) }
        return try body(reply)
    }

    // MARK: - Pipelining

    /// Sends every command of `batch` in one write, then reads all the replies, in order.
    ///
    /// An error reply to one command is returned as ``RedisReply/error(_:)`` in its place and
    /// does not stop the others.
    ///
    /// - Throws: ``RedisError/connection(_:)`` when the connection fails part way; which of
    ///   the commands ran is then unknown.
    public func pipeline(_ batch: RedisCommandBatch) throws(RedisError) -> [RedisReply] {
        var replies: [RedisReply] = []
        replies.reserveCapacity(batch.count)
        try pipeline(batch) { (_, reply) throws(RedisError) in replies.append(reply.reply) }
        return replies
    }

    /// Sends `commands` (each one name first) as one pipeline; see ``pipeline(_:)``.
    public func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        try pipeline(RedisCommandBatch(commands))
    }

    /// Sends every command of `batch` in one write, then lets `body` visit each reply in
    /// place, in order, with its index in the batch.
    ///
    /// The fastest way to pipeline when the replies are checked rather than kept (the IDs
    /// of a pipelined `XADD`, say): no reply is copied. `body` runs after the connection's
    /// lock is released. Error replies are visited like any other (``RedisReplyView/kind``
    /// is `.error`).
    ///
    /// - Warning: Each view is valid only inside the call of `body` that receives it.
    public func pipeline(
        _ batch: RedisCommandBatch,
        _ body: (Int, RedisReplyView) throws(RedisError) -> Void
    ) throws(RedisError) {
        precondition(batch.pendingArgumentCount == 0, "finish the pending command with endCommand() first")
        guard !batch.isEmpty else { return }
        let owned = try state.withLock { (state) throws(RedisError) -> _OwnedReplies in
            try state.exchange(batch, on: state.usableContext())
        }
        for index in 0..<owned.count {
            try body(index, owned.view(index))
        }
    }

    // MARK: - Streams

    /// `XRANGE key start end [COUNT count]`, visiting each entry in place, oldest first.
    ///
    /// `start` and `end` take what Redis takes: `-`, `+`, an ID, or `(ID` for an exclusive
    /// bound. To page through a stream, start the next page at `"(" + page.lastID!.description`,
    /// or let ``xrangePages(_:from:to:pageSize:_:endOfPage:)`` do it.
    ///
    /// `body` runs with the connection's lock held and must not call this connection.
    ///
    /// - Warning: The entry is valid only inside `body`; see ``RedisStreamEntry``.
    /// - Throws: ``RedisError/server(_:)`` when `key` is not a stream;
    ///   ``RedisError/protocol(_:)`` when an entry is malformed.
    @discardableResult
    public func xrange(
        _ key: String,
        from start: String = "-",
        to end: String = "+",
        count: Int? = nil,
        _ body: (RedisStreamEntry) -> Void
    ) throws(RedisError) -> RedisStreamPage {
        var arguments = ["XRANGE", key, start, end]
        if let count { arguments += ["COUNT", String(count)] }
        return try withFlatReply(arguments) { (reply) throws(RedisError) in
            var index = 0
            var page = RedisStreamPage(count: 0, lastID: nil)
            try reply.visitEntries(at: &index, into: &page, body)
            return page
        }
    }

    /// Reads `key` from `start` to `end` in pages of `pageSize` entries, visiting each entry
    /// in place, oldest first, and calling `endOfPage` after each page's entries (with what
    /// that page visited); returns the number of entries visited.
    ///
    /// Pipelined one page ahead: as soon as a page has arrived, the `XRANGE` of the next one
    /// (from after its last entry) goes out, so Redis prepares and sends it while this thread
    /// visits the current one. The whole read holds the connection's lock: `body` and
    /// `endOfPage` must not call this connection.
    ///
    /// - Warning: The entry is valid only inside `body`; see ``RedisStreamEntry``.
    /// - Throws: as ``xrange(_:from:to:count:_:)``; the pages before the failure were visited.
    @discardableResult
    public func xrangePages(
        _ key: String,
        from start: String = "-",
        to end: String = "+",
        pageSize: Int,
        _ body: (RedisStreamEntry) -> Void,
        endOfPage: (RedisStreamPage) -> Void
    ) throws(RedisError) -> Int {
        precondition(pageSize > 0, "pageSize must be positive")
        return try state.withLock { (state) throws(RedisError) -> Int in
            let context = try state.usableContext()
            func request(from start: String) -> RedisCommandBatch {
                RedisCommandBatch([["XRANGE", key, start, end, "COUNT", String(pageSize)]])
            }
            try state.send(request(from: start), on: context)
            var total = 0
            while true {
                let reply = try state.readFlat(on: context)
                if reply.tokens.first?.kind == .error { throw .server(reply.text(0)) }
                // Find the page's last entry first, so the next request can go out before
                // the entries are visited.
                guard reply.tokens.first?.kind == .array else { throw .protocol("XRANGE reply is not an array") }
                let count = reply.tokens[0].count
                if count == pageSize {
                    let last = try reply.lastEntryID()
                    try state.send(request(from: "(" + last.description), on: context)
                }
                var index = 0
                var page = RedisStreamPage(count: 0, lastID: nil)
                do throws(RedisError) {
                    try reply.visitEntries(at: &index, into: &page, body)
                } catch {
                    // A request may be in flight: the connection's replies are out of step.
                    state.failure = error
                    throw error
                }
                total += page.count
                endOfPage(page)
                if count < pageSize { return total }
            }
        }
    }

    /// `XREAD [COUNT count] [BLOCK ms] STREAMS key id`: the entries of `key` after `id`,
    /// visited in place, oldest first.
    ///
    /// With `block`, waits up to that long for a first entry and returns an empty page when
    /// none came. `configuration.commandTimeout` must be longer than `block`, or the read
    /// times out first and the connection is lost. `body` runs with the connection's lock held
    /// and must not call this connection.
    ///
    /// - Warning: The entry is valid only inside `body`; see ``RedisStreamEntry``.
    @discardableResult
    public func xread(
        _ key: String,
        after id: RedisStreamID,
        count: Int? = nil,
        block: Duration? = nil,
        _ body: (RedisStreamEntry) -> Void
    ) throws(RedisError) -> RedisStreamPage {
        var arguments = ["XREAD"]
        if let count { arguments += ["COUNT", String(count)] }
        if let block {
            // At least 1 ms: Redis reads `BLOCK 0` as "wait forever".
            arguments += ["BLOCK", String(max(1, block.whole(.milliseconds(1))))]
        }
        arguments += ["STREAMS", key, id.description]
        return try withFlatReply(arguments) { (reply) throws(RedisError) in
            // Nil when BLOCK timed out; else one [name, entries] pair per stream asked for.
            var page = RedisStreamPage(count: 0, lastID: nil)
            guard reply.tokens[0].kind != .null else { return page }
            guard reply.tokens[0].kind == .array else { throw .protocol("XREAD reply is \(reply.tokens[0].kind), not an array") }
            var index = 1
            for _ in 0..<reply.tokens[0].count {
                guard index + 2 <= reply.tokens.count, reply.tokens[index].kind == .array, reply.tokens[index].count == 2
                else { throw .protocol("XREAD stream reply is not a [name, entries] pair") }
                index += 1
                try reply.skip(&index)  // the stream's name
                try reply.visitEntries(at: &index, into: &page, body)
            }
            return page
        }
    }

    /// Sends one command and lets `body` read its reply as flat tokens, with the lock held
    /// (the tokens live in the connection's reply buffer). A top-level error reply is thrown
    /// as ``RedisError/server(_:)`` before `body` runs.
    private func withFlatReply<T>(
        _ arguments: [String],
        _ body: (_FlatReply) throws(RedisError) -> T
    ) throws(RedisError) -> T {
        try state.withLock { (state) throws(RedisError) -> T in
            let context = try state.usableContext()
            try state.send(RedisCommandBatch([arguments]), on: context)
            let reply = try state.readFlat(on: context)
            if reply.tokens.first?.kind == .error { throw .server(reply.text(0)) }
            return try body(reply)
        }
    }

    // MARK: - Pub/sub

    /// `SUBSCRIBE channels…`, then visits each push reply (subscription confirmations first,
    /// then every message published on the channels, in order) until `shouldStop` returns
    /// true or the connection fails.
    ///
    /// Blocks the calling thread for as long as the subscription lasts: give it a thread of its
    /// own. Between replies it waits in `poll(2)` for at most `pollInterval`, then asks
    /// `shouldStop` again, so a stop request is noticed within about that long, however quiet
    /// the channels are. On a stop it sends `UNSUBSCRIBE` and reads up to its confirmation
    /// (dropping messages that arrive meanwhile), which leaves the connection usable for
    /// ordinary commands again.
    ///
    /// The connection's lock is held throughout: other calls on this connection wait until the
    /// subscription ends (Redis would refuse them in subscriber mode anyway).
    ///
    /// - Warning: `body` runs with the lock held and must not call this connection. Each
    ///   message is valid only inside the call of `body` that receives it.
    /// - Throws: ``RedisError/connection(_:)`` when the server goes away (the usual end of a
    ///   subscription that was not stopped: reconnect with back-off and subscribe again);
    ///   ``RedisError/server(_:)`` when the server refuses `SUBSCRIBE`.
    public func subscribe(
        _ channels: [String],
        pollInterval: Duration = .milliseconds(200),
        until shouldStop: () -> Bool,
        _ body: (RedisPubSubMessage) -> Void
    ) throws(RedisError) {
        precondition(!channels.isEmpty, "subscribe to at least one channel")
        precondition(pollInterval > .zero, "pollInterval must be positive")
        let pollMilliseconds = Int32(clamping: max(1, pollInterval.whole(.milliseconds(1))))
        try state.withLock { (state) throws(RedisError) in
            let context = try state.usableContext()
            do throws(RedisError) {
                try state.send(RedisCommandBatch([["SUBSCRIBE"] + channels]), on: context)
                // Region checking would merge the caller's (task-isolated) closures with the
                // context, and so with the mutex's state. Safe: the loop uses the context on this
                // thread only, under the lock, and neither closure can reach it.
                let subscribed = _ContextTransfer(context: context)
                try _readSubscription(subscribed, pollMilliseconds: pollMilliseconds, shouldStop: shouldStop, body)
                // Leave subscriber mode, so the connection takes ordinary commands again.
                try state.send(RedisCommandBatch([["UNSUBSCRIBE"]]), on: context)
                try _readUntilUnsubscribed(context)
            } catch {
                state.failure = error
                throw error
            }
        }
    }

    // MARK: - Connecting

    /// Opens a context and runs the handshake; the handshake's reads are bounded by the
    /// connect timeout, after which the command timeout (or none) applies.
    private static func _connect(_ configuration: RedisConfiguration) throws(RedisError) -> _Context {
        guard
            let context = redisConnectWithTimeout(
                configuration.host, Int32(configuration.port), _timeval(configuration.connectTimeout)
            )
        else {
            throw .connection("cannot allocate a hiredis context")
        }
        do throws(RedisError) {
            try _check(context)
            #if canImport(Darwin)
                // Darwin can turn SIGPIPE off per socket (see `_withSIGPIPEBlocked`).
                var on: Int32 = 1
                setsockopt(context.pointee.fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
            #endif
            try _check(context, redisSetTimeout(context, _timeval(configuration.connectTimeout)))
            var state = _State(context: context)
            if let password = configuration.password {
                _ = try state.handshake(["AUTH", password], on: context)
            }
            if configuration.database != 0 {
                _ = try state.handshake(["SELECT", String(configuration.database)], on: context)
            }
            // A zero timeval clears SO_RCVTIMEO/SO_SNDTIMEO: block as long as a command takes.
            let commandTimeout = configuration.commandTimeout.map(_timeval) ?? timeval(tv_sec: 0, tv_usec: 0)
            try _check(context, redisSetTimeout(context, commandTimeout))
            return context
        } catch {
            redisFree(context)
            throw error
        }
    }

    /// Throws the context's error when `status` (or the context) says something failed.
    private static func _check(_ context: _Context, _ status: Int32 = REDIS_OK)
        throws(RedisError)
    {
        if status != REDIS_OK || context.pointee.err != 0 { throw _contextError(context) }
    }
}

// MARK: - Talking to one context

extension RedisConnection._State {
    /// The live context, or the error that killed it.
    func usableContext() throws(RedisError) -> RedisConnection._Context {
        if let failure { throw failure }
        guard let context else { throw .connection("not connected") }
        return context
    }

    /// Appends every command of `batch` to the context's output buffer, then reads one reply
    /// per command. The first `redisGetReply` writes the whole buffer out.
    ///
    /// On a connection error, frees the replies read so far, records the failure and throws.
    mutating func exchange(
        _ batch: RedisCommandBatch,
        on context: RedisConnection._Context
    ) throws(RedisError) -> RedisConnection._OwnedReplies {
        do throws(RedisError) {
            try append(batch, to: context)
            return try _withSIGPIPEBlocked { () throws(RedisError) in
                var owned = RedisConnection._OwnedReplies(capacity: batch.count)
                for _ in 0..<batch.count {
                    var raw: UnsafeMutableRawPointer? = nil
                    guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                        throw _contextError(context)
                    }
                    // hiredis's default reader builds every reply as a `redisReply`.
                    owned.append(raw.assumingMemoryBound(to: redisReply.self))
                }
                return owned
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Appends the commands of `batch` to the context's output buffer and writes it all out,
    /// without reading any reply (pub/sub replies are read as they come).
    mutating func send(_ batch: RedisCommandBatch, on context: RedisConnection._Context) throws(RedisError) {
        try append(batch, to: context)
        try _withSIGPIPEBlocked { () throws(RedisError) in
            var done: Int32 = 0
            while done == 0 {
                if redisBufferWrite(context, &done) != REDIS_OK { throw _contextError(context) }
            }
        }
    }

    /// Reads one reply into the flat buffer (``_FlatReplyBuffer``) instead of a `redisReply`
    /// tree: the reader's object functions are swapped for the flat ones for this read only.
    ///
    /// On a connection error records the failure and throws.
    mutating func readFlat(on context: RedisConnection._Context) throws(RedisError) -> _FlatReply {
        let reader = context.pointee.reader.unsafelyUnwrapped  // hiredis always has one.
        let saved = (reader.pointee.fn, reader.pointee.privdata)
        flat.pointee.removeAll()
        reader.pointee.fn = _flatReplyFunctions
        reader.pointee.privdata = UnsafeMutableRawPointer(flat)
        defer { (reader.pointee.fn, reader.pointee.privdata) = saved }
        do throws(RedisError) {
            try _withSIGPIPEBlocked { () throws(RedisError) in
                var raw: UnsafeMutableRawPointer? = nil
                guard redisGetReply(context, &raw) == REDIS_OK, raw != nil else { throw _contextError(context) }
            }
        } catch {
            failure = error
            throw error
        }
        guard !flat.pointee.failed, flat.pointee.tokenCount > 0 else {
            let error = RedisError.connection("out of memory reading a reply")
            failure = error
            throw error
        }
        return flat.pointee.reply
    }

    /// One command during the handshake, where an error reply is fatal too.
    mutating func handshake(_ arguments: [String], on context: RedisConnection._Context) throws(RedisError)
        -> RedisReply
    {
        var batch = RedisCommandBatch()
        batch.append(arguments)
        let owned = try exchange(batch, on: context)
        let reply = owned.view(0)
        if reply.kind == .error { throw .server(reply.text) }
        return reply.reply
    }

    /// `redisAppendCommandArgv` for each command, with `argv` pointing into the batch's one
    /// byte buffer: no copy of the arguments on the Swift side.
    private mutating func append(_ batch: RedisCommandBatch, to context: RedisConnection._Context)
        throws(RedisError)
    {
        var widest = 0
        var previous = 0
        for end in batch._commandEnds {
            widest = max(widest, end - previous)
            previous = end
        }
        precondition(widest <= Int(Int32.max), "a command has more arguments than hiredis takes")
        if argv.count < widest {
            argv = Array(repeating: nil, count: widest)
            argvLengths = Array(repeating: 0, count: widest)
        }
        let status: Int32 = batch._bytes.withUnsafeBufferPointer { bytes in
            // An empty buffer has no base address; hiredis reads 0 bytes from any valid pointer.
            let base = UnsafeRawPointer(bytes.baseAddress) ?? UnsafeRawPointer(_emptyArgument.utf8Start)
            // Only C reads through it, and C's `char` may alias any byte.
            let chars = base.assumingMemoryBound(to: CChar.self)
            return argv.withUnsafeMutableBufferPointer { argv in
                argvLengths.withUnsafeMutableBufferPointer { lengths in
                    var argumentIndex = 0
                    var start = 0
                    for commandEnd in batch._commandEnds {
                        let argc = commandEnd - argumentIndex
                        for slot in 0..<argc {
                            let end = batch._argumentEnds[argumentIndex + slot]
                            argv[slot] = chars + start
                            lengths[slot] = end - start
                            start = end
                        }
                        argumentIndex = commandEnd
                        // Only fails on out-of-memory; hiredis then sets context.err.
                        let status = redisAppendCommandArgv(context, Int32(argc), argv.baseAddress, lengths.baseAddress)
                        if status != REDIS_OK { return status }
                    }
                    return REDIS_OK
                }
            }
        }
        if status != REDIS_OK { throw _contextError(context) }
    }
}

// MARK: - Reading a subscription

/// The loop of ``RedisConnection/subscribe(_:pollInterval:until:_:)``, after `SUBSCRIBE` went out.
///
/// hiredis 0.14 has no read timeout that leaves a blocking context usable (an expired
/// `SO_RCVTIMEO` marks it failed), so replies are read in three steps: take a reply that is
/// already buffered (`redisGetReplyFromReader`), else `poll(2)` the socket for at most
/// `pollMilliseconds`, else read what arrived into the buffer (`redisBufferRead`).
private func _readSubscription(
    _ transfer: _ContextTransfer,
    pollMilliseconds: Int32,
    shouldStop: () -> Bool,
    _ body: (RedisPubSubMessage) -> Void
) throws(RedisError) {
    let context = transfer.context
    while !shouldStop() {
        var raw: UnsafeMutableRawPointer? = nil
        if redisGetReplyFromReader(context, &raw) != REDIS_OK { throw _contextError(context) }
        if let raw {
            var owned = RedisConnection._OwnedReplies(capacity: 1)
            owned.append(raw.assumingMemoryBound(to: redisReply.self))
            let reply = owned.view(0)
            if reply.kind == .error { throw .server(reply.text) }
            if let message = RedisPubSubMessage(reply) { body(message) }
            continue
        }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, pollMilliseconds)
        if ready < 0 {
            if errno == EINTR { continue }
            throw .connection("poll on the subscriber socket failed: errno \(errno)")
        }
        // Readable, or closed/errored (POLLHUP/POLLERR): the read reports which.
        if ready > 0 && redisBufferRead(context) != REDIS_OK { throw _contextError(context) }
    }
}

/// Hands the context to ``_readSubscription`` outside the region checker's view; see the
/// call's comment for why that is safe.
private struct _ContextTransfer: @unchecked Sendable {
    let context: RedisConnection._Context
}

/// Reads replies after `UNSUBSCRIBE` until Redis confirms that no channel is left, dropping
/// messages published meanwhile.
private func _readUntilUnsubscribed(_ context: RedisConnection._Context) throws(RedisError) {
    while true {
        var raw: UnsafeMutableRawPointer? = nil
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw _contextError(context) }
        var owned = RedisConnection._OwnedReplies(capacity: 1)
        owned.append(raw.assumingMemoryBound(to: redisReply.self))
        let reply = owned.view(0)
        // `["unsubscribe", channel or nil, remaining]`, one per channel.
        if reply.kind == .array, reply.count == 3, reply[0].kind == .bulk,
            _bytesEqual(reply[0].bytes, _literal("unsubscribe")), reply[2].integer == 0
        {
            return
        }
    }
}

/// A valid address for empty arguments when the batch's buffer has none.
private let _emptyArgument: StaticString = ""

/// Maps a failed context's `err`/`errstr` to a ``RedisError`` that names the server.
private func _contextError(_ context: RedisConnection._Context) -> RedisError {
    let message = String(cString: chiredis_errstr(context))
    let server = context.pointee.tcp.host.map { "\(String(cString: $0)):\(context.pointee.tcp.port)" } ?? "Redis"
    switch context.pointee.err {
    case REDIS_ERR_PROTOCOL: return .protocol("\(server): \(message)")
    case REDIS_ERR_EOF: return .connection("\(server): server closed the connection")
    case REDIS_ERR_IO where message.contains("temporarily unavailable"):
        // An expired SO_RCVTIMEO/SO_SNDTIMEO surfaces as EAGAIN, which strerror words thus
        // (the C locale: Swift programs never call setlocale).
        return .connection("\(server): timed out waiting for the server (\(message))")
    case 0: return .connection("\(server): unknown hiredis failure")
    default: return .connection("\(server): \(message)")
    }
}

/// Runs `body` with SIGPIPE blocked on this thread, then discards a SIGPIPE it raised.
///
/// hiredis 0.14 writes with `write(2)`: once the server has reset the socket, the next write
/// raises SIGPIPE, whose default action kills the whole process (a large pipeline to a
/// restarted server is enough). Blocking it on this thread only, instead of ignoring it
/// process-wide, leaves the rest of the program's signal handling alone; the write then
/// fails with EPIPE and the call throws ``RedisError/connection(_:)``. Costs four cheap
/// syscalls per exchange, not per command of a pipeline.
private func _withSIGPIPEBlocked<T: ~Copyable>(_ body: () throws(RedisError) -> T) throws(RedisError) -> T {
    #if canImport(Glibc)
        var sigpipe = sigset_t()
        sigemptyset(&sigpipe)
        sigaddset(&sigpipe, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &sigpipe, &previous)
        // Already blocked by the caller: then a pending SIGPIPE is theirs to handle.
        guard sigismember(&previous, SIGPIPE) == 0 else { return try body() }
        var pending = sigset_t()
        sigpending(&pending)
        let pendingBefore = sigismember(&pending, SIGPIPE) == 1
        defer {
            sigpending(&pending)
            if !pendingBefore && sigismember(&pending, SIGPIPE) == 1 {
                var now = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&sigpipe, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        return try body()
    #else
        // Darwin: each socket has SO_NOSIGPIPE set when it is opened.
        return try body()
    #endif
}

/// A `Duration` as a `timeval`, rounded up to at least 1 µs (a zero `timeval` would mean
/// "no timeout" to `setsockopt`).
private func _timeval(_ duration: Duration) -> timeval {
    let microseconds = max(1, duration.whole(.microseconds(1)))
    return timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: .init(microseconds % 1_000_000))
}

// MARK: - Flat replies

/// The growable memory the flat reader's callbacks write into: tokens in pre-order, and every
/// string's bytes back to back. Plain `malloc` memory behind a pointer, so that the C callbacks
/// reach it through `privdata` with no reference counting.
struct _FlatReplyBuffer {
    private(set) var tokens: UnsafeMutablePointer<_FlatToken>? = nil
    private(set) var tokenCount = 0
    private var tokenCapacity = 0
    private(set) var bytes: UnsafeMutableRawPointer? = nil
    private var byteCount = 0
    private var byteCapacity = 0
    /// Set when growing failed; the read is then reported as failed.
    private(set) var failed = false

    /// Forgets the last reply, keeping the memory.
    mutating func removeAll() {
        tokenCount = 0
        byteCount = 0
        failed = false
    }

    /// The reply read (valid until the next ``removeAll()``).
    var reply: _FlatReply {
        _FlatReply(tokens: UnsafeBufferPointer(start: tokens, count: tokenCount), bytes: UnsafeRawPointer(bytes))
    }

    mutating func append(_ kind: RedisReplyView.Kind, count: Int, string: UnsafeRawPointer? = nil) {
        if tokenCount == tokenCapacity {
            let capacity = max(1024, tokenCapacity * 2)
            guard let grown = realloc(tokens, capacity * MemoryLayout<_FlatToken>.stride) else {
                failed = true
                return
            }
            tokens = grown.bindMemory(to: _FlatToken.self, capacity: capacity)
            tokenCapacity = capacity
        }
        var offset = 0
        if let string {
            if byteCount + count > byteCapacity {
                let capacity = max(64 * 1024, max(byteCapacity * 2, byteCount + count))
                guard let grown = realloc(bytes, capacity) else {
                    failed = true
                    return
                }
                bytes = grown
                byteCapacity = capacity
            }
            offset = byteCount
            if count > 0 { (bytes.unsafelyUnwrapped + byteCount).copyMemory(from: string, byteCount: count) }
            byteCount += count
        }
        // Safe: the capacity check above made room for this token.
        (tokens.unsafelyUnwrapped + tokenCount).initialize(to: _FlatToken(kind: kind, count: count, offset: offset))
        tokenCount += 1
    }

    /// Frees the memory (the buffer is unusable afterwards).
    mutating func release() {
        free(tokens)
        free(bytes)
        tokens = nil
        bytes = nil
        tokenCapacity = 0
        byteCapacity = 0
    }
}

/// Reply object functions that record tokens in the ``_FlatReplyBuffer`` behind the reader's
/// `privdata` instead of allocating a `redisReply` per element. Each returns that pointer as
/// the "object" (hiredis only needs it non-NULL); `freeObject` does nothing, as the buffer
/// is reused.
///
/// `nonisolated(unsafe)`: written once here and only read by hiredis afterwards.
nonisolated(unsafe) private let _flatReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    func buffer(_ task: UnsafePointer<redisReadTask>?) -> UnsafeMutablePointer<_FlatReplyBuffer> {
        // Safe: hiredis hands every task the reader's privdata, which `readFlat` set.
        task.unsafelyUnwrapped.pointee.privdata.unsafelyUnwrapped.assumingMemoryBound(to: _FlatReplyBuffer.self)
    }
    let functions = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    functions.initialize(
        to: redisReplyObjectFunctions(
            createString: { task, string, length in
                let kind: RedisReplyView.Kind =
                    switch task.unsafelyUnwrapped.pointee.type {
                    case REDIS_REPLY_ERROR: .error
                    case REDIS_REPLY_STATUS: .status
                    default: .bulk
                    }
                let b = buffer(task)
                b.pointee.append(kind, count: length, string: UnsafeRawPointer(string))
                return b.pointee.failed ? nil : UnsafeMutableRawPointer(b)
            },
            createArray: { task, elements in
                let b = buffer(task)
                b.pointee.append(.array, count: Int(elements))
                return b.pointee.failed ? nil : UnsafeMutableRawPointer(b)
            },
            createInteger: { task, value in
                let b = buffer(task)
                b.pointee.append(.integer, count: Int(value))
                return b.pointee.failed ? nil : UnsafeMutableRawPointer(b)
            },
            createNil: { task in
                let b = buffer(task)
                b.pointee.append(.null, count: 0)
                return b.pointee.failed ? nil : UnsafeMutableRawPointer(b)
            },
            freeObject: { _ in }
        ))
    return functions
}()

extension _FlatReply {
    /// The ID of the last entry of an `XRANGE` reply (an array of `[id, fields]` pairs), found
    /// by skipping over the entries before it.
    func lastEntryID() throws(RedisError) -> RedisStreamID {
        var index = 1
        var last: RedisStreamID?
        for _ in 0..<tokens[0].count {
            guard index + 2 <= tokens.count, tokens[index].kind == .array, tokens[index + 1].kind == .bulk else {
                throw .protocol("stream entry is not an [id, fields] pair")
            }
            let t = tokens[index + 1]
            last = RedisStreamID(bytes: UnsafeRawBufferPointer(start: bytes.map { $0 + t.offset }, count: t.count))
            try skip(&index)
        }
        guard let last else { throw .protocol("stream entry ID is not ms-seq") }
        return last
    }
}

// MARK: - Reply ownership

extension RedisConnection {
    /// Reply trees hiredis handed over, freed with `freeReplyObject` when this value dies.
    ///
    /// `~Copyable`, so exactly one owner frees them. `@unchecked Sendable` only to leave the
    /// connection's lock as its `sending` result: nothing else holds these pointers.
    struct _OwnedReplies: ~Copyable, @unchecked Sendable {
        private var replies: [UnsafeMutablePointer<redisReply>] = []

        init(capacity: Int) { replies.reserveCapacity(capacity) }

        mutating func append(_ reply: UnsafeMutablePointer<redisReply>) { replies.append(reply) }

        var count: Int { replies.count }

        func view(_ index: Int) -> RedisReplyView { RedisReplyView(replies[index]) }

        deinit {
            for reply in replies { freeReplyObject(reply) }
        }
    }
}

// MARK: - Reading replies in place

/// A reply read in place from hiredis's reply tree, without copying.
///
/// Handed to closures by ``RedisConnection/pipeline(_:_:)``; ``reply`` copies it into a
/// ``RedisReply`` when it should outlive the closure.
///
/// - Warning: The view and every buffer it hands out point into a reply that is freed when
///   the closure returns. Never store them.
public struct RedisReplyView {
    /// The kind of a reply.
    public enum Kind: Sendable, Equatable {
        case status, error, integer, bulk, null, array
    }

    private let raw: UnsafePointer<redisReply>

    fileprivate init(_ raw: UnsafeMutablePointer<redisReply>) { self.raw = UnsafePointer(raw) }

    /// What kind of reply this is.
    public var kind: Kind {
        switch raw.pointee.type {
        case REDIS_REPLY_STRING: .bulk
        case REDIS_REPLY_ARRAY: .array
        case REDIS_REPLY_INTEGER: .integer
        case REDIS_REPLY_STATUS: .status
        case REDIS_REPLY_ERROR: .error
        default: .null  // REDIS_REPLY_NIL; hiredis 0.14 knows no other type.
        }
    }

    /// The value of an integer reply; 0 for every other kind.
    public var integer: Int64 { kind == .integer ? Int64(raw.pointee.integer) : 0 }

    /// The bytes of a bulk string, status or error; empty for every other kind.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: raw.pointee.str, count: raw.pointee.len)
    }

    /// The number of elements of an array; 0 for every other kind.
    public var count: Int { kind == .array ? raw.pointee.elements : 0 }

    /// Element `index` of an array.
    public subscript(index: Int) -> RedisReplyView {
        precondition(index >= 0 && index < count, "reply element \(index) out of range")
        // A finished hiredis reply has no NULL elements.
        return RedisReplyView(raw.pointee.element[index]!)
    }

    /// The bytes read as UTF-8 text, invalid sequences replaced.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// A copy of the whole reply, nested arrays included.
    public var reply: RedisReply {
        switch kind {
        case .status: .status(text)
        case .error: .error(text)
        case .integer: .integer(integer)
        case .bulk: .bulk(Array(bytes))
        case .null: .null
        case .array: .array((0..<count).map { self[$0].reply })
        }
    }
}

@available(*, unavailable, message: "points into a reply that is freed when the visit ends")
extension RedisReplyView: Sendable {}
