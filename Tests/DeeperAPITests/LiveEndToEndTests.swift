import DeeperData
import DeeperKernels
import DeeperTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Live mode with nothing seeded: a redis-server, `deeper serve`, a real `deeper worker --live
/// --live-clock feed`, the committed sample POSTed to `/api/prints` in four time-ordered parts,
/// and the page in headless Chromium over DevTools. Screenshots of both views go to
/// `.build/test-output/e2e-live-table.png` and `e2e-live-chart.png` (printed; not committed).
@Suite(.serialized) struct LiveEndToEndTests {
    /// The sample's busiest symbol: it has prints in every part of the replay.
    static let symbol = "UGN PRE"
    /// The table's columns, in the page's order, as read from a live row.
    static let columns = ["symbol", "last", "god", "rod", "grpan", "rwvap", "srpan", "ticks"]

    @Test func aReplayThroughALiveWorkerChangesThePageInPlaceAndItsChartDraws() async throws {
        let chromium = try #require(
            findExecutable(["chromium", "chromium-browser"]),
            "Chromium not found: apt-get install chromium (scripts/setup installs it)")
        let h = try APIHarness()
        try h.loadUniverse()
        let worker = try h.startWorker("live-e2e", ["--live", "--live-clock", "feed", "--live-refresh", "0.2"])
        defer { worker.signal(SIGKILL) }
        // The test's one client connection waits while headless Chromium starts, which on a
        // loaded 2-core machine took longer than the default 30 s idle timeout: the server then
        // closed it, and the first POST failed ("I/O on closed channel"). The timeout has its own
        // tests (`WireSecurityTests`); here it only has to outlast the browser.
        let serve = try ServeProcess(h, ["--idle-timeout", "600"])
        defer { serve.process.signal(SIGKILL) }
        let parts = try Self.sampleInParts(4)
        let output = DeeperProcess.repository.appendingPathComponent(".build/test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let tableShot = output.appendingPathComponent("e2e-live-table.png")
        let chartShot = output.appendingPathComponent("e2e-live-chart.png")
        let symbol = Self.symbol
        let rows = "document.querySelectorAll('#results tbody tr').length"
        let ticksCell = "document.querySelector('tr[data-symbol=\"\(symbol)\"] td:last-child')"

        try await TestClient.withClient(host: "127.0.0.1", port: serve.port) { client in
            let browser = try HeadlessChromium(chromium)
            try await browser.withPage("http://127.0.0.1:\(serve.port)/?live=1") { page in
                #expect(try await page.waitFor("(document.getElementById('live') || {}).textContent === 'live updates: on'"))
                // A page hook: every distinct tick count the symbol's row shows, and the most rows
                // the table ever held, recorded at each redraw (not only when the test looks).
                _ = try await page.evaluate(
                    """
                    (() => {
                      window.e2eTicks = []; window.e2eMostRows = 0;
                      const record = () => {
                        const td = \(ticksCell);
                        if (td && window.e2eTicks[window.e2eTicks.length - 1] !== td.textContent) window.e2eTicks.push(td.textContent);
                        window.e2eMostRows = Math.max(window.e2eMostRows, \(rows));
                      };
                      new MutationObserver(record).observe(document.querySelector('#results tbody'), { childList: true });
                      record();
                      return true;
                    })()
                    """)

                for part in parts {
                    var headers = HTTPFields()
                    headers[.contentType] = "text/csv"
                    let ingest = try await client.post("/api/prints", headers: headers, body: ByteBuffer(string: part.csv))
                    #expect(ingest.status == .ok, "\(String(buffer: ingest.body ?? ByteBuffer()))")
                    // The worker has applied the part once its meta is at the part's newest print…
                    var live: [String: Any] = [:]
                    let applied = try await eventually(timeout: .seconds(30)) {
                        live = try await Self.getJSON(client, "/api/deeper-analysis/live")
                        let asOf = (live["meta"] as? [String: Any])?["as_of"] as? String
                        return asOf.flatMap(TimeText.parseInstant) == part.newest
                    }
                    #expect(applied, "the live worker did not reach \(Nanos.iso8601(part.newest)):\n\(worker.log)")
                    // …and the page shows the symbol's tick count of then.
                    let row = (live["symbols"] as? [String: [String: Any]])?[symbol]
                    let ticks = try #require(row?["tick_count"] as? Int, "no live row for \(symbol)")
                    #expect(try await page.waitFor("(\(ticksCell) || {}).textContent === '\(ticks)'"), "\(ticks)")
                }

                // The row appeared and changed in place at least twice while prints arrived.
                let seen = try await page.evaluate("window.e2eTicks") as? [String] ?? []
                let counts = seen.compactMap(Int.init)
                #expect(counts.count >= 3 && counts.count == seen.count, "\(seen)")
                #expect(counts == counts.sorted() && Set(counts).count == counts.count, "\(seen)")
                #expect(try await page.evaluate("window.e2eMostRows") as? Int == 36)
                // Opened before the first publish, the page still says which instant it shows.
                let summary = try await page.evaluate("document.getElementById('summary').textContent") as? String ?? ""
                #expect(summary.hasPrefix("Live · 36 symbols · as of "), "\(summary)")

                // After the replay the table shows every symbol's live values.
                var mismatches: [String] = ["not compared"]
                let matches = try await eventually(timeout: .seconds(10)) {
                    let live = try await Self.getJSON(client, "/api/deeper-analysis/live")
                    let shown = try await page.evaluate(
                        "[...document.querySelectorAll('#results tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))")
                    mismatches = Self.tableMismatches(shown as? [[String]] ?? [], live["symbols"] as? [String: [String: Any]] ?? [:])
                    return mismatches.isEmpty
                }
                #expect(matches, "\(mismatches.prefix(10).joined(separator: "\n"))")
                try await page.screenshot(to: tableShot)

                // Open the symbol: the chart draws each of its stored prints and each known level.
                let detail = try await Self.getJSON(client, "/api/deeper-analysis/live/\(symbol.replacingOccurrences(of: " ", with: "%20"))")
                let printCount = try #require((detail["prints"] as? [String: Any])?["t"] as? [Any]).count
                let levelCount = LivePageTests.levels(of: try #require(detail["result"] as? [String: Any]))
                #expect(printCount > 100 && levelCount > 0, "\(printCount) prints, \(levelCount) levels")
                _ = try await page.evaluate("document.querySelector('tr[data-symbol=\"\(symbol)\"]').click() || true")
                let markers = "document.querySelectorAll('#chart svg circle.print').length"
                #expect(try await page.waitFor("\(markers) === \(printCount)"), "the chart did not draw \(printCount) prints")
                #expect(try await page.evaluate("document.querySelectorAll('#chart svg line.level').length") as? Int == levelCount)
                #expect(try await page.evaluate("document.getElementById('error').style.display") as? String != "block")
                _ = try await page.evaluate("window.scrollTo(0, 0) || true")
                try await page.screenshot(to: chartShot)
            }
        }
        expectScreenshots([tableShot, chartShot])
        print("Screenshots of the live page fed by a worker: \(tableShot.path) (table), \(chartShot.path) (chart)")
        #expect(worker.isRunning && serve.process.isRunning)
    }

    /// The committed sample (in time order) as `count` CSV bodies with its header, each with the
    /// instant of its newest print.
    static func sampleInParts(_ count: Int) throws -> [(csv: String, newest: Int64)] {
        let text = try String(contentsOfFile: DeeperProcess.path("fixtures/sample-prints.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0]
        let body = lines.dropFirst()
        return try (0..<count).map { i in
            let part = body[(body.startIndex + i * body.count / count)..<(body.startIndex + (i + 1) * body.count / count)]
            let last = part.last!.split(separator: ",", omittingEmptySubsequences: false)
            let newest = try #require(TimeText.parseInstant(String(last[1])))
            return (([header] + part).joined(separator: "\n") + "\n", newest)
        }
    }

    static func getJSON(_ client: TestClient, _ uri: String) async throws -> [String: Any] {
        let response = try await client.get(uri)
        let text = String(buffer: response.body ?? ByteBuffer())
        return try #require(try parseJSON(text) as? [String: Any], "\(uri): \(response.status) \(text)")
    }

    /// How the table `shown` (cells by row) differs from the live rows: every symbol once, each
    /// cell the row's value to the precision the page shows ("—" for none).
    static func tableMismatches(_ shown: [[String]], _ live: [String: [String: Any]]) -> [String] {
        var out: [String] = []
        let bySymbol = Dictionary(shown.map { ($0.first ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        if shown.count != live.count || bySymbol.count != live.count {
            out.append("\(shown.count) rows (\(bySymbol.count) symbols) shown for \(live.count) live rows")
        }
        for (symbol, row) in live {
            guard let cells = bySymbol[symbol], cells.count == columns.count else {
                out.append("\(symbol): not shown")
                continue
            }
            let grpan = row["grpan"] as? [String: Any]
            let rwvap = (row["rwvap"] as? [String: [String: Any]])?["rwvap_1d"]
            let srpan = row["srpan"] as? [String: Any]
            // Value, and the most a shown value may be off (toFixed(4), toFixed(1), or all digits).
            let expected: [(Any?, Double)] = [
                (row["last_price"], 1e-9), (row["god"], 5e-5), (row["rod"], 5e-5), (grpan?["value"], 1e-9),
                (rwvap?["rwvap"], 5e-5), (srpan?["srpan_score"], 0.05), (row["tick_count"], 0),
            ]
            for (k, (value, tolerance)) in zip(columns.dropFirst(), expected) {
                let cell = cells[columns.firstIndex(of: k)!]
                switch (value as? NSNumber)?.doubleValue {
                case .none where cell == "—": continue
                case let v? where Double(cell).map({ abs($0 - v) <= tolerance + 1e-12 }) == true: continue
                default: out.append("\(symbol) \(k): shows \(cell), live \(String(describing: value))")
                }
            }
        }
        return out
    }
}
