import DeeperKernels
import DeeperQueue
import DeeperRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Fans job status events, and live updates, out to every connected WebSocket.
///
/// Each listener gets its own `AsyncStream` that keeps the newest 1,000 events: a client that
/// stops reading loses old events instead of growing the server's memory. A listener that asked
/// for live updates also has a ``LiveMailbox``, which coalesces rows by symbol.
final class JobEventHub: Sendable {
    private struct State {
        var listeners: [Int: AsyncStream<String>.Continuation] = [:]
        var live: [Int: LiveMailbox] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())

    /// A new listener's id (for ``removeListener(_:)``) and its events. The stream ends when
    /// the hub finishes (the server stops).
    func addListener() -> (id: Int, events: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1_000))
        let id = state.withLock { state -> Int? in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.listeners[state.nextID] = continuation
            return state.nextID
        }
        if let id { return (id, stream) }
        continuation.finish()
        return (0, stream)
    }

    /// A live mailbox for listener `id`; nil once the hub finished or the listener left.
    func addLiveMailbox(for id: Int) -> LiveMailbox? {
        let mailbox = LiveMailbox()
        let added = state.withLock { state -> Bool in
            guard !state.finished, state.listeners[id] != nil else { return false }
            state.live[id] = mailbox
            return true
        }
        return added ? mailbox : nil
    }

    func removeListener(_ id: Int) {
        let (continuation, mailbox) = state.withLock { ($0.listeners.removeValue(forKey: id), $0.live.removeValue(forKey: id)) }
        continuation?.finish()
        mailbox?.finish()
    }

    /// Hands `event` to every listener.
    func publish(_ event: String) {
        state.withLock { state in
            for continuation in state.listeners.values { continuation.yield(event) }
        }
    }

    /// Hands changed rows to every live mailbox.
    func publishLive(asOf: String?, rows: [(symbol: String, row: [UInt8])]) {
        for mailbox in liveMailboxes { mailbox.deliver(asOf: asOf, rows: rows) }
    }

    /// Tells every live listener it may have missed updates.
    func requestLiveResync() {
        for mailbox in liveMailboxes { mailbox.requestResync() }
    }

    private var liveMailboxes: [LiveMailbox] { state.withLock { Array($0.live.values) } }

    /// Ends every listener's stream, and those of listeners added later.
    func finish() {
        let (all, mailboxes) = state.withLock { state -> ([AsyncStream<String>.Continuation], [LiveMailbox]) in
            state.finished = true
            defer {
                state.listeners.removeAll()
                state.live.removeAll()
            }
            return (Array(state.listeners.values), Array(state.live.values))
        }
        for continuation in all { continuation.finish() }
        for mailbox in mailboxes { mailbox.finish() }
    }

    /// Listeners connected now.
    var listenerCount: Int { state.withLock { $0.listeners.count } }

    /// Listeners that asked for live updates.
    var liveListenerCount: Int { state.withLock { $0.live.count } }
}

/// The one subscriber connection, to `deeper_analysis:events` and
/// `deeper_analysis:live_updates`: a thread of its own in a blocking hiredis `SUBSCRIBE` loop,
/// handing each job event to the hub (counted by status for `/metrics`) and each live notice to
/// the relay. When Redis goes away it reconnects with back-off (100 ms doubling to 5 s). Each time
/// the subscription becomes live, the first time included, it tells live listeners to read the
/// live rows again: notices sent before it was live are lost.
final class JobEventSubscriber: Service, Sendable {
    private let configuration: RedisConfiguration
    private let hub: JobEventHub
    private let relay: LiveUpdateRelay
    private let metrics: APIMetrics
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let subscribed = Atomic<Bool>(false)

    init(configuration: RedisConfiguration, hub: JobEventHub, relay: LiveUpdateRelay, metrics: APIMetrics, logger: Logger) {
        var c = configuration
        // Only SUBSCRIBE and UNSUBSCRIBE wait for a reply; messages are read after poll(2).
        c.commandTimeout = .seconds(5)
        self.configuration = c
        self.hub = hub
        self.relay = relay
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the subscription is live now (for `/health`).
    var isSubscribed: Bool { subscribed.load(ordering: .relaxed) }

    func run() async throws {
        await withGracefulShutdownHandler {
            await DedicatedThread.run(name: "deeper-events") { self.loop() }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
        hub.finish()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func loop() {
        var backOff = BackOff()
        var outageLogged = false
        while !isStopping {
            do throws(RedisError) {
                let connection = try RedisConnection(configuration)
                let channels = [RedisKeys.events, RedisKeys.liveUpdates]
                try connection.subscribe(channels, until: { self.isStopping }) { message in
                    switch message.kind {
                    case .subscribed:
                        guard message.subscriptionCount == channels.count else { return }
                        subscribed.store(true, ordering: .relaxed)
                        backOff.reset()
                        if outageLogged {
                            logger.notice("Subscribed to \(channels.joined(separator: " and ")) again")
                        }
                        // A live socket open before this moment read its rows while notices could
                        // not reach it (Redis was away, or the server had just started): every
                        // subscription, the first too, tells live sockets to read them again.
                        hub.requestLiveResync()
                        outageLogged = false
                    case .message where message.channel.elementsEqual(RedisKeys.liveUpdates.utf8):
                        if let notice = LiveUpdateNotice(message.payload) { relay.notice(notice) }
                    case .message:
                        let event = String(decoding: message.payload, as: UTF8.self)
                        metrics.countEvent(status: Self.status(of: event))
                        hub.publish(event)
                    }
                }
            } catch {
                subscribed.store(false, ordering: .relaxed)
                if !outageLogged {
                    logger.error("Job events: \(error); resubscribing with back-off up to 5 s")
                    outageLogged = true
                }
                backOff.wait(until: { self.isStopping })
            }
        }
        subscribed.store(false, ordering: .relaxed)
    }

    /// The `status` field of an event, `"unknown"` when there is none.
    static func status(of event: String) -> String {
        guard let message = JobStatusMessage.decode(Array(event.utf8)), message.state != nil else { return "unknown" }
        return message.status
    }
}
