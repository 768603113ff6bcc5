import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import DeeperAPI

/// `GET /api/deeper-analysis/live` and `…/live/{symbol}` over rows seeded as a live worker
/// writes them (`LiveFixture`).
@Suite("Live routes")
struct LiveRouteTests {
    @Test func withoutALiveWorkerTheAnswerIsEmptyNotAnError() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let all = try await client.get("/api/deeper-analysis/live")
            #expect(all.status == .ok)
            #expect(all.contentType == "application/json; charset=utf-8")
            #expect(all.text == #"{"success":true,"meta":null,"count":0,"symbols":{}}"#)

            let one = try await client.get("/api/deeper-analysis/live/OFN")
            #expect(one.status == .notFound)
            #expect(one.object["success"] as? Bool == false)
            #expect((one.object["error"] as? String)?.hasPrefix(#"no live result for "OFN""#) == true)
        }
    }

    @Test func theStoredRowsAreServedByteForByte() async throws {
        let h = try APIHarness()
        let rows = try h.seedLive()
        #expect(rows.count == 36)
        try await h.api().makeApplication().test(.router) { client in
            let all = try await client.get("/api/deeper-analysis/live")
            #expect(all.status == .ok)
            #expect(all.object["count"] as? Int == 36)
            let symbols = try #require(all.object["symbols"] as? [String: Any])
            #expect(Set(symbols.keys) == Set(rows.keys))
            // Spliced, not re-encoded: every stored row appears verbatim, in symbol order.
            var from = all.text.startIndex
            for (symbol, row) in rows.sorted(by: { $0.key < $1.key }) {
                let found = try #require(all.text.range(of: LiveFixture.quoted(symbol) + ":" + row, range: from..<all.text.endIndex))
                from = found.upperBound
            }
            let meta = try #require(all.object["meta"] as? [String: Any])
            #expect(meta["as_of"] as? String == LiveFixture.asOf)
            #expect(meta["worker"] as? String == "fixture")
            #expect(all.object["unreadable"] == nil)

            // A symbol with a space, percent-encoded as a client must.
            let one = try await client.get("/api/deeper-analysis/live/UGN%20PRE")
            #expect(one.status == .ok)
            #expect(one.object["symbol"] as? String == "UGN PRE")
            #expect(one.text.contains(#""result":"# + rows["UGN PRE"]!))
            let result = try #require(one.object["result"] as? [String: Any])
            #expect(result["symbol"] as? String == "UGN PRE")
            let prints = try #require(one.object["prints"] as? [String: Any])
            let t = try #require(prints["t"] as? [Int])
            #expect(t.count > 100)
            #expect((prints["p"] as? [Double])?.count == t.count)
            #expect((prints["s"] as? [Int])?.count == t.count)
            #expect((prints["lit"] as? [Bool])?.count == t.count)
            #expect(t == t.sorted())
            #expect((one.object["meta"] as? [String: Any])?["as_of"] as? String == LiveFixture.asOf)

            for uri in ["/api/deeper-analysis/live/NOPE", "/api/deeper-analysis/live/bad%24sym", "/api/deeper-analysis/live/%20"] {
                let missing = try await client.get(uri)
                #expect(missing.status == .notFound, "\(uri)")
                #expect(missing.object["success"] as? Bool == false, "\(uri)")
            }
        }
    }

    @Test func aRowWithoutPrintsHasNullPrints() async throws {
        let h = try APIHarness()
        _ = try h.redis.command(["HSET", RedisKeys.live, "OFN", LiveFixture.rows(asOf: LiveFixture.asOf)["OFN"]!])
        try await h.api().makeApplication().test(.router) { client in
            let one = try await client.get("/api/deeper-analysis/live/OFN")
            #expect(one.status == .ok)
            #expect(one.object["prints"] is NSNull)
            #expect(one.object["meta"] is NSNull)
        }
    }

    /// A row that is not a JSON object is never spliced into an answer (it would break the
    /// whole document): it is named, and its own route says what is wrong.
    @Test func anUnreadableRowIsNamedNotServed() async throws {
        let h = try APIHarness()
        try h.seedLive()
        _ = try h.redis.command(["HSET", RedisKeys.live, "BAD", "24.5, oops"])
        try await h.api().makeApplication().test(.router) { client in
            let all = try await client.get("/api/deeper-analysis/live")
            #expect(all.status == .ok)
            #expect(all.object["count"] as? Int == 36)
            #expect(all.object["unreadable"] as? [String] == ["BAD"])
            #expect((all.object["symbols"] as? [String: Any])?["BAD"] == nil)

            let one = try await client.get("/api/deeper-analysis/live/BAD")
            #expect(one.status == .internalServerError)
            #expect(one.object["success"] as? Bool == false)
        }
    }

    @Test func theLiveRoutesKeepTheTokenOriginAndMethodRules() async throws {
        let h = try APIHarness()
        try h.seedLive()
        try await h.api({ $0.access = APIAccess(token: "secret") }).makeApplication().test(.router) { client in
            for uri in ["/api/deeper-analysis/live", "/api/deeper-analysis/live/OFN"] {
                #expect(try await client.get(uri).status == .unauthorized, "\(uri)")
                var headers = HTTPFields()
                headers[.authorization] = "Bearer secret"
                #expect(try await client.execute(uri: uri, method: .get, headers: headers).status == .ok, "\(uri)")
                headers[.origin] = "https://evil.example"
                #expect(try await client.execute(uri: uri, method: .get, headers: headers).status == .forbidden, "\(uri)")
                let post = try await client.execute(uri: uri, method: .post)
                #expect(post.status == .methodNotAllowed, "\(uri)")
                #expect(post.headers[.allow] == "GET", "\(uri)")
            }
        }
    }

    @Test func redisDownIs503() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            h.redisServer.stop()
            for uri in ["/api/deeper-analysis/live", "/api/deeper-analysis/live/OFN"] {
                let response = try await client.get(uri)
                #expect(response.status == .serviceUnavailable, "\(uri)")
                #expect((response.object["error"] as? String)?.hasPrefix("Redis unavailable: ") == true, "\(uri)")
            }
        }
    }

    @Test func aWrongTypeKeyIsAnErrorNotAnEmptyAnswer() async throws {
        let h = try APIHarness()
        _ = try h.redis.command(["SET", RedisKeys.live, "not a hash"])
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.get("/api/deeper-analysis/live")
            #expect(response.status == .serviceUnavailable)
            #expect((response.object["error"] as? String)?.contains("WRONGTYPE") == true)
        }
    }
}
