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

/// What the sockets of a test saw.
private final class Seen: Sendable {
    let live = Mutex<[String]>([])
    let plain = Mutex<[String]>([])
    /// symbol → the newest tick_count received.
    let newest = Mutex<[String: Int]>([:])
    let messages = Atomic<Int>(0)
    let stalled = Atomic<Bool>(true)
}

/// Live updates on `GET /ws?live=1`: a notice on `deeper_analysis:live_updates` becomes the
/// changed rows, read once and fanned out to every live socket.
@Suite("Live WebSocket")
struct LiveWebSocketTests {
    @Test func aPublishedUpdateReachesEveryLiveSocketAndOnlyThem() async throws {
        let h = try APIHarness()
        try h.seedLive()
        let later = LiveFixture.rows(asOf: LiveFixture.laterAsOf)
        let changed = ["OFN", "UGN PRE"]
        #expect(changed.allSatisfy { later[$0] != LiveFixture.rows(asOf: LiveFixture.asOf)[$0] })
        let server = h.api()
        try await server.makeApplication().test(.live) { client in
            let seen = Seen()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await client.ws("/ws?live=1") { inbound, _, _ in
                            var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                            // A socket open before the subscription was live is first told to resync.
                            while case .text(let text)? = try await messages.next() {
                                guard text != LiveDocuments.resync else { continue }
                                seen.live.withLock { $0.append(text) }
                                return
                            }
                        }
                    }
                }
                // A socket without `live=1`: job events only, as before.
                group.addTask {
                    try await client.ws("/ws") { inbound, _, _ in
                        var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                        guard case .text(let text)? = try await messages.next() else { return }
                        seen.plain.withLock { $0.append(text) }
                    }
                }
                #expect(await eventually { server.hub.liveListenerCount == 2 && server.hub.listenerCount == 3 && server.subscriber.isSubscribed })
                try h.publishLive(changed.reduce(into: [:]) { $0[$1] = later[$1] }, asOf: LiveFixture.laterAsOf)
                #expect(await eventually { seen.live.withLock { $0.count } == 2 })
                let event = JobMessages.status(.completed, message: "done", worker: "w1", jobID: "job-1", at: WallClock.now())
                _ = try h.redis.command(["PUBLISH", RedisKeys.events, event])
                try await group.waitForAll()
            }
            for text in seen.live.withLock({ $0 }) {
                // The rows are the stored bytes, spliced as they are.
                for symbol in changed {
                    #expect(text.contains(LiveFixture.quoted(symbol) + ":" + later[symbol]!))
                }
                let message = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                #expect(message["type"] as? String == "live")
                #expect(message["as_of"] as? String == LiveFixture.laterAsOf)
                let rows = try #require(message["rows"] as? [String: [String: Any]])
                #expect(Set(rows.keys) == Set(changed))
                #expect(rows["OFN"]?["symbol"] as? String == "OFN")
            }
            let plain = seen.plain.withLock { $0 }
            #expect(plain.count == 1)
            #expect(plain.first?.contains(#""job_id":"job-1""#) == true)
            #expect(plain.first?.contains(#""type""#) == false)
            #expect(server.relay.relayedCount == 1)
            let metrics = try await client.get("/metrics")
            #expect(metrics.text.contains("deeper_live_updates_total 1\n"), "\(metrics.text)")
        }
    }

    /// When the subscription becomes live after a live socket opened (Redis restarted, or it was
    /// away when the server started), the socket is told to read the rows again: notices
    /// published before are gone, and the page's first read may have missed them.
    @Test(arguments: [false, true])
    func aSubscriptionThatComesLateTellsLiveSocketsToResync(redisAwayAtStart: Bool) async throws {
        let h = try APIHarness()
        let server = h.api()
        if redisAwayAtStart { h.redisServer.stop() }
        try await server.makeApplication().test(.live) { client in
            let seen = Seen()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await client.ws("/ws?live=1") { inbound, _, _ in
                        var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                        guard case .text(let text)? = try await messages.next() else { return }
                        seen.live.withLock { $0.append(text) }
                    }
                }
                if redisAwayAtStart {
                    #expect(await eventually { server.hub.liveListenerCount == 1 })
                    #expect(!server.subscriber.isSubscribed)
                } else {
                    #expect(await eventually { server.hub.liveListenerCount == 1 && server.subscriber.isSubscribed })
                    h.redisServer.stop()
                    #expect(await eventually { !server.subscriber.isSubscribed })
                }
                try h.redisServer.start()
                #expect(await eventually(timeout: .seconds(15)) { seen.live.withLock { $0.count } == 1 })
                try await group.waitForAll()
            }
            #expect(seen.live.withLock { $0 } == [#"{"type":"live_resync"}"#])
        }
    }

    /// A socket that never reads holds up neither the relay nor the other sockets: the reader
    /// gets every symbol's newest row while the other's messages pile up on its own side.
    @Test func aSocketThatDoesNotReadBlocksNoOne() async throws {
        let h = try APIHarness()
        try h.seedLive()
        let server = h.api()
        let rounds = 300
        // Rows of 64 KiB, so the stalled socket's buffers fill within a few rounds.
        let padding = String(repeating: "x", count: 64 << 10)
        @Sendable func row(_ symbol: String, _ k: Int) -> String {
            #"{"symbol":\#(LiveFixture.quoted(symbol)),"tick_count":\#(k),"pad":"\#(padding)"}"#
        }
        try await server.makeApplication().test(.live) { client in
            let seen = Seen()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await client.ws("/ws?live=1") { _, _, _ in
                        // Reads nothing until the reader has seen everything.
                        while seen.stalled.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(20)) }
                    }
                }
                group.addTask {
                    try await client.ws("/ws?live=1") { inbound, _, _ in
                        for try await message in inbound.messages(maxSize: 1 << 24) {
                            guard case .text(let text) = message, let rows = try liveRows(text) else { continue }
                            seen.messages.add(1, ordering: .relaxed)
                            let ticks = rows.mapValues { $0["tick_count"] as? Int ?? -1 }
                            seen.newest.withLock { newest in
                                for (symbol, k) in ticks {
                                    // Never an older row after a newer one.
                                    #expect(k > newest[symbol] ?? -1, "\(symbol): \(k) after \(newest[symbol] ?? -1)")
                                    newest[symbol] = k
                                }
                            }
                            if seen.newest.withLock({ $0 == ["OFN": rounds - 1, "OFM": rounds - 1] }) { return }
                        }
                    }
                }
                #expect(await eventually { server.hub.liveListenerCount == 2 && server.subscriber.isSubscribed })
                for k in 0..<rounds {
                    try h.publishLive(["OFN": row("OFN", k), "OFM": row("OFM", k)], asOf: LiveFixture.laterAsOf)
                }
                let done = await eventually(timeout: .seconds(30)) { seen.newest.withLock { $0 == ["OFN": rounds - 1, "OFM": rounds - 1] } }
                #expect(done, "reader saw \(seen.newest.withLock { $0 }) in \(seen.messages.load(ordering: .relaxed)) messages")
                seen.stalled.store(false, ordering: .relaxed)
                try await group.waitForAll()
            }
            // Coalesced: fewer messages than publishes whenever the reader fell behind.
            #expect(seen.messages.load(ordering: .relaxed) <= rounds)
        }
    }

    /// Every published row reaches every live socket, one changed symbol 200 times and then a
    /// full refresh of 482 symbols of real-sized rows, and how long that took is printed. (Not
    /// bounded: beside the rest of the suite, blocking tests on the shared cooperative pool stall
    /// everything for seconds; run alone for the figures.)
    @Test func publishedRowsReachFourSocketsWithinMilliseconds() async throws {
        let h = try APIHarness()
        let server = h.api()
        let template = LiveFixture.rows(asOf: LiveFixture.asOf)["UGN PRE"]!
        let universe = (0..<482).map { "SYM\($0)" }
        @Sendable func row(_ symbol: String, _ k: Int) -> String {
            template.replacingOccurrences(of: #""symbol":"UGN PRE""#, with: #""symbol":"\#(symbol)""#)
                .replacingOccurrences(of: #""tick_count":[0-9]+"#, with: #""tick_count":\#(k * 10)"#, options: .regularExpression)
        }
        let sockets = 4, rounds = 200
        final class Arrivals: Sendable {
            /// tick → when each socket saw it.
            let at = Mutex<[Int: [ContinuousClock.Instant]]>([:])
        }
        let arrivals = Arrivals()
        try await server.makeApplication().test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<sockets {
                    group.addTask {
                        try await client.ws("/ws?live=1") { inbound, _, _ in
                            for try await message in inbound.messages(maxSize: 1 << 24) {
                                guard case .text(let text) = message, let rows = try liveRows(text) else { continue }
                                let now = ContinuousClock.now
                                let ticks = Set(rows.values.compactMap { $0["tick_count"] as? Int })
                                arrivals.at.withLock { at in for k in ticks { at[k, default: []].append(now) } }
                                if ticks.contains(-10) { return }  // the last publish
                            }
                        }
                    }
                }
                #expect(await eventually { server.hub.liveListenerCount == sockets && server.subscriber.isSubscribed })
                var sent: [Int: ContinuousClock.Instant] = [:]
                for k in 1...rounds {
                    sent[k * 10] = .now
                    try h.publishLive(["OFN": row("OFN", k)], asOf: LiveFixture.laterAsOf)
                    // Each round waits for all four before the next publish (which would replace
                    // an undelivered row of the same symbol in a slow socket's mailbox, by design);
                    // a loaded machine can stall a debug build for seconds, hence the long limit.
                    #expect(await eventually(timeout: .seconds(60)) { arrivals.at.withLock { $0[k * 10]?.count == sockets } })
                }
                let full = ContinuousClock.now
                try h.publishLive(Dictionary(uniqueKeysWithValues: universe.map { ($0, row($0, 777)) }), asOf: LiveFixture.laterAsOf)
                #expect(await eventually(timeout: .seconds(30)) { arrivals.at.withLock { $0[7770]?.count ?? 0 >= sockets } })
                let fullLatency = arrivals.at.withLock { $0[7770]?.max() }.map { full.duration(to: $0) }
                try h.publishLive(["OFN": row("OFN", -1)], asOf: LiveFixture.laterAsOf)
                try await group.waitForAll()

                let latencies = arrivals.at.withLock { at in
                    sent.flatMap { k, t0 in (at[k] ?? []).map { t0.duration(to: $0) } }
                }.sorted()
                #expect(latencies.count == rounds * sockets)
                let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100]
                print("Live fan-out to \(sockets) sockets (debug build): one symbol p50 \(p50), p99 \(p99), max \(latencies.last!); 482 symbols: \(fullLatency.map { "\($0)" } ?? "not received")")
            }
        }
    }

    @Test func aMailboxKeepsTheNewestRowOfEachSymbol() {
        let mailbox = LiveMailbox()
        mailbox.deliver(asOf: "a1", rows: [("OFN", Array(#"{"k":1}"#.utf8)), ("OFM", Array(#"{"k":1}"#.utf8))])
        mailbox.deliver(asOf: "a2", rows: [("OFN", Array(#"{"k":2}"#.utf8))])
        mailbox.requestResync()
        let contents = mailbox.take()
        #expect(LiveMailbox.messages(contents) == [
            #"{"type":"live_resync"}"#, #"{"type":"live","as_of":"a2","rows":{"OFM":{"k":1},"OFN":{"k":2}}}"#,
        ])
        #expect(mailbox.take().isEmpty)
        // A row that is not an object is not spliced into a message.
        mailbox.deliver(asOf: nil, rows: [("BAD", Array("oops".utf8))])
        #expect(LiveMailbox.messages(mailbox.take()) == [#"{"type":"live","as_of":null,"rows":{}}"#])
    }

    @Test func noticesAreReadStrictly() {
        func notice(_ text: String) -> LiveUpdateNotice? {
            var text = text
            return text.withUTF8 { LiveUpdateNotice(UnsafeRawBufferPointer($0)) }
        }
        #expect(notice(#"{"as_of":"2025-11-21T21:00:00Z","symbols":["OFN","AHL PRF"]}"#)
            == LiveUpdateNotice(asOf: "2025-11-21T21:00:00Z", symbols: ["OFN", "AHL PRF"]))
        #expect(notice(#"{"symbols":["OFN","bad$", 3]}"#) == LiveUpdateNotice(asOf: nil, symbols: ["OFN"]))
        #expect(notice(#"{"as_of":"x"}"#) == nil)
        #expect(notice("not json") == nil)
    }

    @Test func liveIsAskedForInTheQuery() {
        #expect(DeeperAPIServer.wantsLive("live=1"))
        #expect(DeeperAPIServer.wantsLive("token=abc&live=true"))
        #expect(!DeeperAPIServer.wantsLive(nil))
        #expect(!DeeperAPIServer.wantsLive("token=live%3D1"))
        #expect(!DeeperAPIServer.wantsLive("live=0"))
    }
}

/// The `rows` of a live message, by symbol (nil for any other message: a job event, a resync).
private func liveRows(_ text: String) throws -> [String: [String: Any]]? {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    return object?["rows"] as? [String: [String: Any]]
}
