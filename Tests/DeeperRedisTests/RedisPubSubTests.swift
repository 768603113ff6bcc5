import DeeperRedis
import DeeperTestSupport
import Foundation
import Synchronization
import Testing

/// What a subscriber thread saw, shared with the test.
private final class Inbox: Sendable {
    let messages = Mutex<[(channel: String, payload: [UInt8])]>([])
    let confirmations = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    let outcome = Mutex<Result<Void, RedisError>?>(nil)

    var count: Int { messages.withLock { $0.count } }
}

/// Runs `connection.subscribe(channels)` on a thread of its own, recording into `inbox`.
private func subscribeOnThread(_ connection: RedisConnection, _ channels: [String], _ inbox: Inbox) {
    let thread = Thread {
        let result = Result { () throws(RedisError) in
            try connection.subscribe(channels, pollInterval: .milliseconds(50), until: { inbox.stop.load(ordering: .relaxed) }) {
                message in
                switch message.kind {
                case .subscribed:
                    inbox.confirmations.add(1, ordering: .relaxed)
                case .message:
                    let channel = String(decoding: message.channel, as: UTF8.self)
                    let payload = Array(message.payload)
                    inbox.messages.withLock { $0.append((channel, payload)) }
                }
            }
        }
        inbox.outcome.withLock { $0 = result }
    }
    thread.start()
}

@Suite("Pub/sub")
struct RedisPubSubTests {
    @Test func messagesArriveInOrderAndAStopLeavesTheConnectionUsable() throws {
        let server = try RedisTestServer()
        let subscriber = try connect(to: server)
        let publisher = try connect(to: server)
        let inbox = Inbox()
        subscribeOnThread(subscriber, ["events", "other"], inbox)
        #expect(waitUntil(timeout: .seconds(10)) { inbox.confirmations.load(ordering: .relaxed) == 2 })

        let binary: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF]
        for k in 0..<200 {
            #expect(try publisher.command(["PUBLISH", "events", "event \(k)"]) == .integer(1))
        }
        #expect(try publisher.command([Array("PUBLISH".utf8), Array("other".utf8), binary]) == .integer(1))
        #expect(try publisher.command(["PUBLISH", "unrelated", "x"]) == .integer(0))
        #expect(waitUntil(timeout: .seconds(10)) { inbox.count == 201 })

        let messages = inbox.messages.withLock { $0 }
        #expect(messages.prefix(200).map(\.channel) == Array(repeating: "events", count: 200))
        #expect(messages.prefix(200).map { String(decoding: $0.payload, as: UTF8.self) } == (0..<200).map { "event \($0)" })
        #expect(messages.last?.channel == "other")
        #expect(messages.last?.payload == binary)

        // A stop is noticed without any traffic, and UNSUBSCRIBE leaves the connection usable.
        inbox.stop.store(true, ordering: .relaxed)
        #expect(waitUntil(timeout: .seconds(5)) { inbox.outcome.withLock { $0 != nil } })
        let outcome = inbox.outcome.withLock { $0 }
        #expect(throws: Never.self) { try outcome?.get() }
        #expect(try subscriber.command(["PING"]) == .status("PONG"))
        #expect(try publisher.command(["PUBSUB", "NUMSUB", "events"]).array?.last == .integer(0))
    }

    @Test func aServerThatGoesAwayEndsTheSubscriptionWithAConnectionError() throws {
        let server = try RedisTestServer()
        let subscriber = try connect(to: server)
        let inbox = Inbox()
        subscribeOnThread(subscriber, ["events"], inbox)
        #expect(waitUntil(timeout: .seconds(10)) { inbox.confirmations.load(ordering: .relaxed) == 1 })

        server.stop(signal: SIGKILL)
        #expect(waitUntil(timeout: .seconds(10)) { inbox.outcome.withLock { $0 != nil } })
        let outcome = try #require(inbox.outcome.withLock { $0 })
        guard case .failure(.connection) = outcome else {
            Issue.record("expected a connection error, got \(outcome)")
            return
        }
        #expect(!subscriber.isConnected)

        // After a restart, a fresh subscription on the reconnected connection works.
        try server.start()
        try subscriber.reconnect()
        let again = Inbox()
        subscribeOnThread(subscriber, ["events"], again)
        #expect(waitUntil(timeout: .seconds(10)) { again.confirmations.load(ordering: .relaxed) == 1 })
        let publisher = try connect(to: server)
        #expect(try publisher.command(["PUBLISH", "events", "back"]) == .integer(1))
        #expect(waitUntil(timeout: .seconds(10)) { again.count == 1 })
        again.stop.store(true, ordering: .relaxed)
        #expect(waitUntil(timeout: .seconds(5)) { again.outcome.withLock { $0 != nil } })
    }
}
