import DeeperKernels
import DeeperQueue
import DeeperRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Fans job status events out to every connected WebSocket.
///
/// Each listener gets its own `AsyncStream` that keeps the newest 1,000 events: a client that
/// stops reading loses old events instead of growing the server's memory.
final class JobEventHub: Sendable {
    private struct State {
        var listeners: [Int: AsyncStream<String>.Continuation] = [:]
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

    func removeListener(_ id: Int) {
        let continuation = state.withLock { $0.listeners.removeValue(forKey: id) }
        continuation?.finish()
    }

    /// Hands `event` to every listener.
    func publish(_ event: String) {
        state.withLock { state in
            for continuation in state.listeners.values { continuation.yield(event) }
        }
    }

    /// Ends every listener's stream, and those of listeners added later.
    func finish() {
        let all = state.withLock { state -> [AsyncStream<String>.Continuation] in
            state.finished = true
            defer { state.listeners.removeAll() }
            return Array(state.listeners.values)
        }
        for continuation in all { continuation.finish() }
    }

    /// Listeners connected now.
    var listenerCount: Int { state.withLock { $0.listeners.count } }
}

/// The one subscriber connection to `deeper_analysis:events`: a thread of its own in a blocking
/// hiredis `SUBSCRIBE` loop, handing each event to the hub and counting it by status for
/// `/metrics`. When Redis goes away it reconnects with back-off (100 ms doubling to 5 s).
final class JobEventSubscriber: Service, Sendable {
    private let configuration: RedisConfiguration
    private let hub: JobEventHub
    private let metrics: APIMetrics
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let subscribed = Atomic<Bool>(false)

    init(configuration: RedisConfiguration, hub: JobEventHub, metrics: APIMetrics, logger: Logger) {
        var c = configuration
        // Only SUBSCRIBE and UNSUBSCRIBE wait for a reply; messages are read after poll(2).
        c.commandTimeout = .seconds(5)
        self.configuration = c
        self.hub = hub
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
                try connection.subscribe([RedisKeys.events], until: { self.isStopping }) { message in
                    switch message.kind {
                    case .subscribed:
                        subscribed.store(true, ordering: .relaxed)
                        backOff.reset()
                        if outageLogged { logger.notice("Subscribed to \(RedisKeys.events) again") }
                        outageLogged = false
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
