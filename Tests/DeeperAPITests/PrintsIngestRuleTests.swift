import DeeperData
import DeeperKernels
import DeeperRedis
import DeeperTestSupport
import DeeperWorker
import Foundation
import HummingbirdTesting
import Testing

@testable import DeeperAPI

/// `POST /api/prints` applies the ingest rules every feed applies (issue #9): symbols trimmed of
/// surrounding spaces.
struct PrintsIngestRuleTests {
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
