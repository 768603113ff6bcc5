import DeeperData
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import HummingbirdTesting
import HummingbirdWSTesting
import Synchronization
import Testing

@testable import DeeperAPI

/// Events the WebSockets of a test received.
private final class Received: Sendable {
    let events = Mutex<[[String: String]]>([])
}

/// `GET /ws` on a live server: job events published on `deeper_analysis:events` reach every
/// connected WebSocket.
@Suite("WebSocket events")
struct EventTests {
    @Test func statusEventsReachEveryWebSocket() async throws {
        let h = try APIHarness()
        let server = h.api()
        try await server.makeApplication().test(.live) { client in
            let received = Received()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await client.ws("/ws") { inbound, _, _ in
                            var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                            // Two events each: the queued status of the job and its completion.
                            for _ in 0..<2 {
                                guard case .text(let text)? = try await messages.next() else { return }
                                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
                                received.events.withLock {
                                    $0.append(object.compactMapValues { $0 as? String })
                                }
                            }
                        }
                    }
                }
                // Both sockets listen and the subscription is live before anything is published.
                #expect(await eventually { server.hub.listenerCount == 2 && server.subscriber.isSubscribed })
                let response = try await client.execute(uri: "/api/deeper-analysis/compute", method: .post)
                let id = try #require(response.object["job_id"] as? String)
                let completed = JobMessages.status(
                    .completed, message: "Completed 0 symbols", worker: "w1", jobID: id, at: WallClock.now())
                _ = try h.redis.command(["PUBLISH", RedisKeys.events, completed])
                try await group.waitForAll()

                let events = received.events.withLock { $0 }
                #expect(events.count == 4)
                #expect(events.filter { $0["job_id"] == id && $0["status"] == "queued" }.count == 2)
                #expect(events.filter { $0["job_id"] == id && $0["status"] == "completed" && $0["worker"] == "w1" }.count == 2)
            }
            #expect(await eventually { server.hub.listenerCount == 0 })
        }
    }

    @Test func theHubDropsOldEventsForAListenerThatDoesNotRead() async throws {
        let hub = JobEventHub()
        let (id, events) = hub.addListener()
        for k in 0..<1_500 { hub.publish("event \(k)") }
        hub.removeListener(id)
        var seen: [String] = []
        for await event in events { seen.append(event) }
        #expect(seen.count == 1_000)
        #expect(seen.first == "event 500")
        #expect(seen.last == "event 1499")

        hub.finish()
        let (_, late) = hub.addListener()
        var lateEvents = 0
        for await _ in late { lateEvents += 1 }
        #expect(lateEvents == 0)
    }

    @Test func eventStatusesAreReadForTheMetrics() {
        #expect(JobEventSubscriber.status(of: #"{"job_id":"x","status":"processing","message":"m"}"#) == "processing")
        #expect(JobEventSubscriber.status(of: #"{"status":"weird"}"#) == "unknown")
        #expect(JobEventSubscriber.status(of: "not json") == "unknown")
    }
}
