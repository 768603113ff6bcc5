import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// How long a connection may take and how many may be open (`deeper serve --header-timeout`,
/// `--body-timeout`, `--idle-timeout`, `--max-connections`).
public struct ConnectionLimits: Sendable {
    /// From a request's first byte to the end of its head (`API_HEADER_TIMEOUT`): a client that
    /// sends half a head and waits gets 408 and a close.
    public var headerTimeout: Duration
    /// From the end of a request's head to the end of its body (`API_BODY_TIMEOUT`): a client
    /// that trickles a body a byte at a time, never idle long enough for the idle timeout,
    /// cannot hold a connection open for ever; it is closed (408 when no answer has begun).
    public var bodyTimeout: Duration
    /// No byte either way for this long, and no request waiting for its answer
    /// (`API_IDLE_TIMEOUT`): the connection is closed. WebSockets are exempt (they ping).
    public var idleTimeout: Duration
    /// Open connections, WebSockets included (`API_MAX_CONNECTIONS`); one over it gets 503 and
    /// a close at once, so descriptors and memory stay bounded.
    public var maxConnections: Int
    /// Longest request line (method, target, version): 414 beyond it.
    public var maxRequestLineBytes: Int
    /// Longest request head, request line and headers together: 431 beyond it.
    public var maxHeadBytes: Int

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60), idleTimeout: Duration = .seconds(30),
        maxConnections: Int = 512, maxRequestLineBytes: Int = 8 << 10, maxHeadBytes: Int = 16 << 10
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeadBytes = maxHeadBytes
    }
}

/// Open connections of one server, and those the guard refused (while they close).
final class ConnectionCounter: Sendable {
    let open = Atomic<Int>(0)
    var count: Int { open.load(ordering: .relaxed) }

    private let refused = Mutex<Set<ObjectIdentifier>>([])

    func markRefused(_ channel: any Channel) { _ = refused.withLock { $0.insert(ObjectIdentifier(channel)) } }
    func wasRefused(_ id: ObjectIdentifier) -> Bool { refused.withLock { $0.contains(id) } }
    func forget(_ id: ObjectIdentifier) { _ = refused.withLock { $0.remove(id) } }
}

/// Passes every log event on, except Hummingbird's error about a connection that closed
/// before its HTTP upgrade was negotiated, when the guard closed it on purpose: a refused
/// request is logged as such, not as a server error (and a flood of them cannot flood the log).
struct RefusedConnectionLogHandler: LogHandler {
    var base: any LogHandler
    let wasRefused: @Sendable () -> Bool

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        if event.level >= .error, event.message.description == "Error handling upgrade result", wasRefused() { return }
        base.log(event: event)
    }
}

/// Hummingbird's HTTP/1 + WebSocket child channel with a ``ConnectionGuard`` in front of its
/// HTTP decoder: the guard sees the raw bytes first.
struct GuardedServerChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner
    let limits: ConnectionLimits
    let access: APIAccess
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limits: limits, access: access, counter: counter))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let id = ObjectIdentifier(value.channel)
        var quiet = logger
        quiet.handler = RefusedConnectionLogHandler(base: logger.handler, wasRefused: { [counter] in counter.wasRefused(id) })
        await inner.handle(value: value, logger: quiet)
        counter.forget(id)
    }
}

/// Reads each request's head before the HTTP decoder does, so every request gets an answer or
/// a close: a malformed request line or header, `HTTP/9.9`, a `Content-Length` of `abc` or
/// `-1`, raw non-ASCII bytes in the target (400), a target over the limit (414), a head over the
/// limit (431), a transfer coding other than chunked (400), a head not finished within
/// the header timeout (408); then the connection closes. Idle connections close after the idle
/// timeout; connections over the cap get 503. A WebSocket upgrade is checked by ``APIAccess``
/// here, where a refusal can still be a 401 or 403 (past this point Hummingbird answers a
/// refused upgrade with a bare 400).
///
/// Good heads pass on unchanged; bodies pass through, counted by `Content-Length`, so the next
/// head on a kept-alive connection is found.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Phase {
        case head
        case body(remaining: Int)
        case chunked(ChunkedBodyScanner)
        /// An upgraded connection (WebSocket): no more HTTP to read.
        case passThrough
        case closed
    }

    private let limits: ConnectionLimits
    private let access: APIAccess
    private let counter: ConnectionCounter
    private var phase = Phase.head
    private var started = false
    private var counted = false

    /// The head being read, and how far it has been scanned for its end.
    private var head: [UInt8] = []
    private var scanned = 0
    private var lineStart = 0
    private var requestLineEnd: Int?

    /// Whether a request went on and its answer has not been flushed yet: then a refusal
    /// closes without writing, so it never lands inside that answer.
    private var awaitingResponse = false
    private var wroteSinceRequest = false

    private var headerTimer: Scheduled<Void>?
    private var bodyTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var lastActivity = NIODeadline.now()

    init(limits: ConnectionLimits, access: APIAccess, counter: ConnectionCounter) {
        self.limits = limits
        self.access = access
        self.counter = counter
    }

    // MARK: - Lifetime

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        counted = true
        let open = counter.open.wrappingAdd(1, ordering: .relaxed).newValue
        if open > limits.maxConnections {
            reject(context, .serviceUnavailable, "too many open connections (limit \(limits.maxConnections)); try again shortly")
            return
        }
        lastActivity = .now()
        scheduleIdleCheck(context, in: Self.timeAmount(limits.idleTimeout))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimers()
        if counted {
            counted = false
            counter.open.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimers()
        phase = .closed
        context.fireChannelInactive()
    }

    private func stopTimers() {
        headerTimer?.cancel()
        headerTimer = nil
        endBody()
        idleTimer?.cancel()
        idleTimer = nil
    }

    // MARK: - Outbound: activity and the end of each answer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        wroteSinceRequest = true
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        if wroteSinceRequest {
            wroteSinceRequest = false
            awaitingResponse = false
        }
        context.flush()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        lastActivity = .now()
        while buffer.readableBytes > 0 {
            switch phase {
            case .closed:
                return
            case .passThrough:
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            case .body(let remaining):
                let n = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: n)!  // n ≤ readableBytes
                context.fireChannelRead(wrapInboundOut(slice))
                if remaining == n {
                    phase = .head
                    endBody()
                } else {
                    phase = .body(remaining: remaining - n)
                }
            case .chunked(var scanner):
                guard let n = buffer.withUnsafeReadableBytes({ scanner.consume($0) }) else {
                    reject(context, .badRequest, "malformed chunked body")
                    return
                }
                let slice = buffer.readSlice(length: n)!  // consume returns at most readableBytes
                context.fireChannelRead(wrapInboundOut(slice))
                if scanner.isDone {
                    phase = .head
                    endBody()
                } else {
                    phase = .chunked(scanner)
                }
            case .head:
                if !readHead(context, &buffer) { return }
            }
        }
    }

    /// Moves bytes of `buffer` into the head until it ends; then checks it and passes it on.
    /// False when the head is not whole yet or was refused.
    private func readHead(_ context: ChannelHandlerContext, _ buffer: inout ByteBuffer) -> Bool {
        if head.isEmpty {
            // Empty lines before a request line are allowed (RFC 9112 §2.2).
            while let b = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), b == 0x0D || b == 0x0A {
                buffer.moveReaderIndex(forwardBy: 1)
            }
            if buffer.readableBytes == 0 { return false }
            if headerTimer == nil { scheduleHeaderTimeout(context) }
        }
        let oldCount = head.count
        let take = min(buffer.readableBytes, limits.maxHeadBytes + 1 - oldCount)
        head.append(contentsOf: buffer.readableBytesView.prefix(take))
        if let end = scanForEnd() {
            head.removeSubrange(end...)
            buffer.moveReaderIndex(forwardBy: end - oldCount)
            return finishHead(context)
        }
        buffer.moveReaderIndex(forwardBy: take)
        if let lineEnd = requestLineEnd {
            if let (status, reason) = RequestHead.checkRequestLine(head[..<lineEnd], limits: limits) {
                reject(context, status, reason)
                return false
            }
        } else if head.count > limits.maxRequestLineBytes {
            reject(context, .uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
            return false
        }
        if head.count > limits.maxHeadBytes {
            reject(context, .requestHeaderFieldsTooLarge, "request head larger than \(limits.maxHeadBytes) bytes")
            return false
        }
        return false
    }

    /// Index just past the empty line that ends the head, scanning only bytes not seen yet.
    /// Lines end in CRLF or a bare LF.
    private func scanForEnd() -> Int? {
        while scanned < head.count {
            let i = scanned
            scanned += 1
            guard head[i] == 0x0A else { continue }
            var length = i - lineStart
            if length > 0 && head[i - 1] == 0x0D { length -= 1 }
            if requestLineEnd == nil { requestLineEnd = lineStart + length }
            if length == 0 && lineStart > 0 { return i + 1 }
            lineStart = i + 1
        }
        return nil
    }

    private func finishHead(_ context: ChannelHandlerContext) -> Bool {
        let parsed: RequestHead
        switch RequestHead.parse(head, limits: limits) {
        case .success(let h): parsed = h
        case .failure(let problem):
            reject(context, problem.status, problem.reason)
            return false
        }
        headerTimer?.cancel()
        headerTimer = nil
        let bytes = context.channel.allocator.buffer(bytes: parsed.rewrittenHead ?? head)
        head = []
        scanned = 0
        lineStart = 0
        requestLineEnd = nil

        if parsed.isUpgrade {
            if case .deny(let status, let reason) = access.decide(parsed.access) {
                reject(context, status, reason)
                return false
            }
            // From here on the bytes are WebSocket frames (or Hummingbird refuses the upgrade
            // and closes); the socket's own pings keep it alive.
            phase = .passThrough
            stopTimers()
        } else {
            if parsed.isChunked {
                phase = .chunked(ChunkedBodyScanner())
            } else {
                phase = parsed.contentLength > 0 ? .body(remaining: parsed.contentLength) : .head
            }
            if case .head = phase {} else { scheduleBodyTimeout(context) }
        }
        awaitingResponse = true
        wroteSinceRequest = false
        context.fireChannelRead(wrapInboundOut(bytes))
        return true
    }

    // MARK: - Refusals and timers

    /// Answers `status` with a JSON reason and closes; only closes when an earlier request's
    /// answer may still be on its way.
    ///
    /// The close is a lingering one: the answer, then the end of output, then the client's
    /// remaining bytes read and dropped for up to ``lingerTime``. Closing at once with unread
    /// bytes (the rest of a 100 kB header) would reset the connection, and the client would
    /// lose the answer.
    private func reject(_ context: ChannelHandlerContext, _ status: HTTPResponse.Status, _ reason: String) {
        phase = .closed
        stopTimers()
        let channel = context.channel
        counter.markRefused(channel)
        guard !awaitingResponse else {
            context.close(promise: nil)
            return
        }
        let body = Array(APIResponse.failureJSON(reason).utf8)
        var text = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        text += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
        text += "Connection: close\r\n\r\n"
        var buffer = channel.allocator.buffer(capacity: text.utf8.count + body.count)
        buffer.writeString(text)
        buffer.writeBytes(body)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer))).whenComplete { _ in
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
        }
        idleTimer = context.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
    }

    /// How long a refused connection is read (and its bytes dropped) after the answer.
    static let lingerTime = TimeAmount.seconds(2)

    private func scheduleHeaderTimeout(_ context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = Self.describe(limits.headerTimeout)
        headerTimer = context.eventLoop.scheduleTask(in: Self.timeAmount(limits.headerTimeout)) {
            let (handler, context) = bound.value
            handler.headerTimer = nil
            guard case .head = handler.phase else { return }
            handler.reject(context, .requestTimeout, "request head not received within \(seconds)")
        }
    }

    private func scheduleBodyTimeout(_ context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = Self.describe(limits.bodyTimeout)
        bodyTimer = context.eventLoop.scheduleTask(in: Self.timeAmount(limits.bodyTimeout)) {
            let (handler, context) = bound.value
            handler.bodyTimer = nil
            switch handler.phase {
            case .body, .chunked: handler.reject(context, .requestTimeout, "request body not received within \(seconds)")
            case .head, .passThrough, .closed: return
            }
        }
    }

    private func endBody() {
        bodyTimer?.cancel()
        bodyTimer = nil
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = bound.value
            handler.idleCheck(context)
        }
    }

    private func idleCheck(_ context: ChannelHandlerContext) {
        idleTimer = nil
        switch phase {
        case .closed, .passThrough: return
        case .head, .body, .chunked: break
        }
        let idle = Self.timeAmount(limits.idleTimeout)
        let quiet = NIODeadline.now() - lastActivity
        if awaitingResponse || quiet < idle {
            scheduleIdleCheck(context, in: awaitingResponse ? idle : idle - quiet)
        } else {
            phase = .closed
            context.close(promise: nil)
        }
    }

    static func timeAmount(_ d: Duration) -> TimeAmount {
        let (seconds, attoseconds) = d.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    static func describe(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

/// What ``ConnectionGuard`` reads of a request head.
struct RequestHead {
    var access: APIAccess.Head
    var contentLength: Int
    /// `Transfer-Encoding: chunked`: the body ends with its zero-size chunk and trailers.
    var isChunked: Bool
    var isUpgrade: Bool
    /// The head to pass on when it had to change (an `Upgrade` other than WebSocket dropped).
    var rewrittenHead: [UInt8]?

    struct Problem: Error {
        var status: HTTPResponse.Status
        var reason: String
    }

    /// `nil` when the request line is `METHOD SP target SP HTTP/1.x` with a target of visible
    /// ASCII; else the answer.
    static func checkRequestLine(_ line: ArraySlice<UInt8>, limits: ConnectionLimits) -> (HTTPResponse.Status, String)? {
        var line = line
        if line.last == 0x0D { line.removeLast() }
        if line.count > limits.maxRequestLineBytes {
            return (.uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
        }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return (.badRequest, "malformed request line: expected METHOD TARGET HTTP/1.1") }
        guard !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            return (.badRequest, "malformed request line: bad method")
        }
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return (.badRequest, "malformed request target: only visible ASCII is allowed (percent-encode the rest)")
        }
        guard parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8) else {
            return (.badRequest, "unsupported HTTP version: expected HTTP/1.1 or HTTP/1.0")
        }
        return nil
    }

    /// The head (request line, header lines, the empty line) checked and read.
    static func parse(_ head: [UInt8], limits: ConnectionLimits) -> Result<RequestHead, Problem> {
        var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 0x0D ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { return .failure(Problem(status: .badRequest, reason: "empty request")) }
        if let (status, reason) = checkRequestLine(requestLine, limits: limits) {
            return .failure(Problem(status: status, reason: reason))
        }
        let parts = requestLine.split(separator: 0x20)
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let question = target.firstIndex(of: "?")
        let path = question.map { String(target[..<$0]) } ?? target
        let query = question.map { String(target[target.index(after: $0)...]) }

        var contentLength: Int?
        var hasTransferEncoding = false
        var isUpgrade = false
        var fields: [String: String] = [:]
        var droppedUpgrade = false
        var kept: [ArraySlice<UInt8>] = [requestLine]
        for line in lines.dropFirst() {
            guard let first = line.first, first != 0x20, first != 0x09 else {
                return .failure(Problem(status: .badRequest, reason: "malformed header: folded or empty line"))
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[..<colon].allSatisfy(isTokenByte)
            else {
                return .failure(Problem(status: .badRequest, reason: "malformed header line: expected Name: value"))
            }
            let valueBytes = line[(colon + 1)...]
            guard valueBytes.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
                return .failure(Problem(status: .badRequest, reason: "malformed header: control character in a value"))
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: valueBytes, as: UTF8.self).trimmingSpacesAndTabs()
            switch name {
            case "content-length":
                guard !value.isEmpty, value.utf8.count <= 15, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let n = Int(value), contentLength == nil || contentLength == n
                else {
                    return .failure(
                        Problem(status: .badRequest, reason: "malformed Content-Length \(APIAccess.quoted(value)): expected one whole number of bytes"))
                }
                contentLength = n
            case "transfer-encoding":
                guard !hasTransferEncoding, value.lowercased() == "chunked" else {
                    return .failure(
                        Problem(status: .badRequest, reason: "unsupported Transfer-Encoding \(APIAccess.quoted(value)): only chunked"))
                }
                hasTransferEncoding = true
            case "upgrade":
                // Only a WebSocket upgrade leaves HTTP. Any other (`curl --http2` sends
                // `Upgrade: h2c`) is dropped, and the request answered as plain HTTP: left in,
                // it makes the upgrade handler close the connection without an answer.
                if value.lowercased().contains("websocket") {
                    isUpgrade = true
                } else {
                    droppedUpgrade = true
                    continue
                }
            default:
                break
            }
            if ["host", "origin", "authorization", "content-type"].contains(name), fields[name] == nil {
                fields[name] = value
            }
            kept.append(line)
        }
        if hasTransferEncoding && contentLength != nil {
            // Two framings: which one a proxy in front believed is unknowable (request smuggling).
            return .failure(Problem(status: .badRequest, reason: "both Transfer-Encoding and Content-Length"))
        }
        let access = APIAccess.Head(
            method: method, path: path, query: query, host: fields["host"], origin: fields["origin"],
            authorization: fields["authorization"], contentType: fields["content-type"],
            hasBody: (contentLength ?? 0) > 0 || hasTransferEncoding)
        var rewritten: [UInt8]?
        if droppedUpgrade {
            rewritten = []
            for line in kept {
                rewritten!.append(contentsOf: line)
                rewritten!.append(contentsOf: [0x0D, 0x0A])
            }
            rewritten!.append(contentsOf: [0x0D, 0x0A])
        }
        return .success(
            RequestHead(
                access: access, contentLength: contentLength ?? 0, isChunked: hasTransferEncoding, isUpgrade: isUpgrade,
                rewrittenHead: rewritten))
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}

/// Finds where a chunked body ends (RFC 9112 §7.1), so the next request's head is found; the
/// bytes themselves pass on unchanged to the HTTP decoder.
struct ChunkedBodyScanner {
    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer
        case done
    }

    private var state = State.size
    private var line: [UInt8] = []
    private static let maxLine = 8 << 10

    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// How many of `bytes` belong to the body (all of them until its end), or nil when the
    /// framing is malformed.
    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        while i < bytes.count {
            switch state {
            case .done:
                return i
            case .data(let remaining):
                let n = min(remaining, bytes.count - i)
                i += n
                state = remaining == n ? .dataEnd : .data(remaining: remaining - n)
            case .dataEnd:
                let b = bytes[i]
                i += 1
                if b == 0x0A {
                    state = .size
                } else if b != 0x0D {
                    return nil
                }
            case .size, .trailer:
                let b = bytes[i]
                i += 1
                guard b == 0x0A else {
                    line.append(b)
                    if line.count > Self.maxLine { return nil }
                    continue
                }
                if line.last == 0x0D { line.removeLast() }
                defer { line.removeAll(keepingCapacity: true) }
                if case .trailer = state {
                    if line.isEmpty { state = .done }
                    continue
                }
                // `1a;ext=1` → 0x1a; extensions are ignored.
                let digits = line.prefix(while: { $0 != UInt8(ascii: ";") }).filter { $0 != 0x20 && $0 != 0x09 }
                guard !digits.isEmpty, digits.count <= 15,
                    let size = Int(String(decoding: digits, as: UTF8.self), radix: 16), size >= 0
                else { return nil }
                state = size == 0 ? .trailer : .data(remaining: size)
            }
        }
        return isDone || i == bytes.count ? i : nil
    }
}
