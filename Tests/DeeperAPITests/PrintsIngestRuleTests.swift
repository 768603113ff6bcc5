import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import HummingbirdTesting
import Testing

@testable import DeeperAPI

/// `POST /api/prints` applies the ingest rules every feed applies (issue #9): nothing stamped
/// further ahead of the clock than `MAX_FUTURE`, symbols trimmed of surrounding spaces.
struct PrintsIngestRuleTests {
    @Test func jsonPrintsFarAheadOfTheClockAreRejectedWithAReason() async throws {
        let h = try APIHarness()
        let now = WallClock.now() / Nanos.perMillisecond
        try await h.api().makeApplication().test(.router) { client in
            let body = """
                [
                  {"symbol": "OFN", "time": \(now), "price": 25.01, "size": 100},
                  {"symbol": "ZZZ", "time": 9000000000000, "price": 25.01, "size": 100},
                  {"symbol": "ZZZ", "time": "2255-03-14T16:00:00Z", "price": 25.01, "size": 100}
                ]
                """
            let response = try await client.post("/api/prints", body)
            #expect(response.status == .ok)
            #expect(response.object["accepted"] as? Int == 1)
            let rejected = try #require(response.object["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["line"] as? Int } == [2, 3])
            #expect(
                rejected.first?["reason"] as? String
                    == #"time: more than 300 s ahead of the clock (MAX_FUTURE) ("9000000000000")"#)
            #expect(try RouteTests.streamEntries(h).map { $0["sym"] } == ["OFN"])
        }
        // A wider tolerance is a setting of the server.
        try await h.api { $0.futureTolerance = FutureTolerance(seconds: 10_000_000_000) }.makeApplication().test(.router) { client in
            let body = #"[{"symbol": "ZZZ", "time": 9000000000000, "price": 25.01, "size": 100}]"#
            let response = try await client.post("/api/prints", body)
            #expect(response.object["accepted"] as? Int == 1)
        }
    }

    @Test func csvPrintsFarAheadOfTheClockAreRejectedWithTheirLine() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let body = "symbol,time,price,size\nOFN,2025-11-21T15:00:00Z,26.61,200\nZZZ,9000000000000,26.61,200\n"
            let response = try await client.post("/api/prints", body, contentType: "text/csv")
            #expect(response.object["accepted"] as? Int == 1)
            let rejected = try #require(response.object["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["line"] as? Int } == [3])
            #expect((rejected.first?["reason"] as? String)?.hasPrefix("time: more than 300 s ahead of the clock") == true)
        }
    }

    @Test func jsonSymbolsAndFieldsAreTrimmedAsCSVFieldsAre() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let body = #"[{"symbol": " QAT ", "time": " 2025-11-21T15:00:00Z ", "price": " 25.01 ", "size": " 100 ", "venue": " nsdq "}]"#
            let response = try await client.post("/api/prints", body)
            #expect(response.object["accepted"] as? Int == 1, "\(response.text)")
            let entries = try RouteTests.streamEntries(h)
            #expect(entries == [["sym": "QAT", "t": "1763737200000", "p": "25.01", "s": "100", "v": "NSDQ"]])
            let symbols = try h.redis.command(["SMEMBERS", RedisKeys.symbols]).array?.compactMap(\.string)
            #expect(symbols == ["QAT"])
        }
    }

    @Test func computeTrimsSymbolsToo() async throws {
        let h = try APIHarness()
        try await h.api().makeApplication().test(.router) { client in
            let response = try await client.post("/api/deeper-analysis/compute", #"{"symbols": ["OFN ", " OFN", "GAINN"]}"#)
            #expect(response.status == .ok, "\(response.text)")
            let queued = try #require(try h.redis.command(["LINDEX", RedisKeys.jobs, "0"]).string)
            let job = try #require(try JSONSerialization.jsonObject(with: Data(queued.utf8)) as? [String: Any])
            #expect(job["symbols"] as? [String] == ["OFN", "GAINN"])
        }
    }
}
