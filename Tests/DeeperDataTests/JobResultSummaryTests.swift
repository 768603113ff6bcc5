import DeeperData
import DeeperKernels
import DeeperTestSupport
import Foundation
import Testing

@Suite struct JobResultSummaryTests {
    /// A real job result: the committed sample computed as the worker does, plus a symbol with
    /// no history (its god is null).
    static func sampleResult() throws -> String {
        let input = try OfflineInput.load(
            printsPath: DeeperProcess.path("fixtures/sample-prints.csv"),
            universePath: DeeperProcess.path("fixtures/sample-universe.csv"), rules: .default, skipInvalid: false)
        let (symbols, requests) = input.requests(for: input.symbols.sorted() + ["NOPE"])
        let asOf = try #require(TimeText.parseInstant("2025-11-20T19:00:00Z"))
        let metrics = BatchEngine(threads: 1).run(
            store: input.store, requests: requests, asOf: .instant(asOf), parameters: AnalysisParameters())
        return ResultJSON.jobResult(
            jobID: "j1", symbols: symbols, metrics: metrics, processedCount: symbols.count, finishedAt: 0)
    }

    static func summary(_ text: String, top: Int) -> JobResultSummary? {
        var text = text
        return text.withUTF8 { JobResultSummary(json: UnsafeRawBufferPointer($0), top: top) }
    }

    /// Every row equals what a full JSON parse of the same result says, in the same order.
    @Test func equalsAFullParseOfARealResult() throws {
        let text = try Self.sampleResult()
        let summary = try #require(Self.summary(text, top: 1_000))
        let object = try #require(try parseJSON(text) as? [String: Any])
        let data = try #require(object["data"] as? [String: [String: Any]])
        #expect(summary.processedCount == object["processed_count"] as? Int)
        #expect(summary.totalSymbols == object["total_symbols"] as? Int)
        let expected = data.compactMap { (symbol, m) -> (String, Double)? in
            (m["god"] as? NSNumber).map { (symbol, $0.doubleValue) }
        }.sorted { abs($0.1) != abs($1.1) ? abs($0.1) > abs($1.1) : $0.0 < $1.0 }
        #expect(summary.rows.map(\.symbol) == expected.map(\.0))
        #expect(!summary.rows.contains { $0.symbol == "NOPE" })
        #expect(summary.rows.count > 10)
        // Foundation's parser on Linux is off by an ulp or two (Swift's `Double(String)` rounds
        // correctly), so doubles are compared to 1e-12 relative.
        func close(_ a: Double?, _ b: Any?) -> Bool {
            guard let a, let b = (b as? NSNumber)?.doubleValue else { return a == nil && !(b is NSNumber) }
            return abs(a - b) <= 1e-12 * max(abs(a), abs(b))
        }
        for row in summary.rows {
            let m = try #require(data[row.symbol])
            #expect(close(row.god, m["god"]), "\(row.symbol)")
            #expect(close(row.lastPrice.flatMap(Double.init), m["last_price"]), "\(row.symbol)")
            #expect(close(row.rod.flatMap(Double.init), m["rod"]), "\(row.symbol)")
            #expect(row.tickCount.flatMap(Int.init) == (m["tick_count"] as? NSNumber)?.intValue, "\(row.symbol)")
        }
        let top3 = try #require(Self.summary(text, top: 3))
        #expect(top3.rows == Array(summary.rows.prefix(3)))
        let lines = top3.render().split(separator: "\n")
        #expect(lines.first == "processed \(data.count) of \(data.count) symbols")
        #expect(lines.count == 5 && lines[2].hasPrefix(summary.rows[0].symbol))
    }

    /// Nested values are skipped whatever they hold; keys and strings with escapes are read.
    @Test func skipsNestedValuesAndReadsEscapes() throws {
        let text = #"""
            { "x": [1, {"god": 9, "s": "}]\"{"}], "total_symbols" : 2, "processed_count":2,
              "data": {"A\"B": {"windows": {"god": 100}, "god": -0.5, "rod": null, "last_price": 25.0, "tick_count": 3},
                       "\u00c9T\ud83d\ude00": {"god": 0.25, "extra": [[[]]], "tick_count": 0}},
              "timestamp": "\\"}
            """#
        let summary = try #require(Self.summary(text, top: 10))
        #expect(summary.processedCount == 2 && summary.totalSymbols == 2)
        #expect(summary.rows.map(\.symbol) == ["A\"B", "ÉT😀"])
        #expect(summary.rows.map(\.god) == [-0.5, 0.25])
        #expect(summary.rows[0].rod == nil && summary.rows[0].lastPrice == "25.0" && summary.rows[0].tickCount == "3")
    }

    /// No prefix of a result is read as a result, and none makes the reader fail other than by nil.
    @Test func truncatedOrMalformedIsNil() throws {
        let text = #"{"processed_count":1,"total_symbols":1,"data":{"A":{"god":0.1,"t":[{"a":"\""}]}},"timestamp":"x"}"#
        #expect(Self.summary(text, top: 5) != nil)
        let bytes = Array(text.utf8)
        for n in 0..<bytes.count {
            let prefix = bytes.prefix(n).withUnsafeBytes { JobResultSummary(json: $0, top: 5) }
            #expect(prefix == nil, "prefix of \(n) bytes")
        }
        for bad in ["[]", "{\"data\":[1]}", "{\"data\":{\"A\":1}}", "{\"a\" 1}", "{\"a\":\"\\q\"}", "nul"] {
            #expect(Self.summary(bad, top: 5) == nil, "\(bad)")
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        #expect(Self.summary(deep, top: 5) == nil)
    }
}
