import DeeperQueue
import DeeperTestSupport
import Foundation
import HummingbirdTesting
import Testing

@testable import DeeperAPI

/// The page's Live mode in headless Chromium, driven over DevTools in real time: the table fills
/// from `/live`, rows change in place (sorted and filtered) while updates are published, and a
/// symbol's chart draws its prints and levels. Screenshots of both views go to
/// `.build/test-output/` (printed; not committed).
@Suite(.serialized) struct LivePageTests {
    @Test func liveRowsChangeInPlaceAndASymbolsChartDraws() async throws {
        let chromium = try #require(
            findExecutable(["chromium", "chromium-browser"]),
            "Chromium not found: apt-get install chromium (scripts/setup installs it)")
        let h = try APIHarness()
        let before = try h.seedLive()
        let later = LiveFixture.rows(asOf: LiveFixture.laterAsOf)
        let changed = later.keys.filter { later[$0] != before[$0] }.sorted()
        #expect(changed.count >= 10, "the fixture's later rows must differ: \(changed)")
        let server = h.api { $0.access = APIAccess(token: "live-token") }
        let output = DeeperProcess.repository.appendingPathComponent(".build/test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let tableShot = output.appendingPathComponent("live-table.png")
        let chartShot = output.appendingPathComponent("live-chart.png")
        let symbol = "UGN PRE"
        let laterRow = try #require(try JSONSerialization.jsonObject(with: Data(later[symbol]!.utf8)) as? [String: Any])
        let printCount = try #require(
            (JSONSerialization.jsonObject(with: Data(LiveFixture.prints(symbol, asOf: LiveFixture.asOf).utf8)) as? [String: Any])?["t"]
                as? [Any]
        ).count
        let levelCount = Self.levels(of: laterRow)

        try await server.makeApplication().test(.live) { client in
            let port = try #require(client.port)
            let browser = try HeadlessChromium(chromium)
            // The token as a person's link carries it: in the fragment, kept by the page.
            try await browser.withPage("http://127.0.0.1:\(port)/?live=1#token=live-token") { page in
                let rows = "document.querySelectorAll('#results tbody tr').length"
                #expect(try await page.waitFor("\(rows) === 36"), "table did not fill from /live")
                let summary = try await page.evaluate("document.getElementById('summary').textContent") as? String ?? ""
                #expect(summary.hasPrefix("Live · 36 symbols · as of "), "\(summary)")
                #expect(await eventually { server.hub.liveListenerCount == 1 && server.subscriber.isSubscribed })

                // Updates in three publishes, as the worker sends them.
                let groups = stride(from: 0, to: changed.count, by: (changed.count + 2) / 3).map {
                    Array(changed[$0..<min(changed.count, $0 + (changed.count + 2) / 3)])
                }
                for group in groups {
                    try h.publishLive(group.reduce(into: [:]) { $0[$1] = later[$1] }, asOf: LiveFixture.laterAsOf)
                    try await Task.sleep(for: .milliseconds(150))
                }
                // The relay and each client's mailbox coalesce publishes that arrive close together (on a
                // loaded machine the three may reach the page as one), so count at least one; the
                // cells below prove every change arrived.
                #expect(try await page.waitFor("Number(document.body.dataset.liveUpdates || 0) >= 1"))
                // Every changed row shows its new tick count, in place (36 rows still).
                for s in changed {
                    let ticks = try #require((try JSONSerialization.jsonObject(with: Data(later[s]!.utf8)) as? [String: Any])?["tick_count"] as? Int)
                    let cell = "document.querySelector('tr[data-symbol=\"\(s)\"] td:last-child').textContent"
                    #expect(try await page.waitFor("\(cell) === '\(ticks)'", timeout: .seconds(10)), "\(s)")
                }
                #expect(try await page.evaluate(rows) as? Int == 36)
                #expect(try await page.evaluate("document.querySelectorAll('td.flash').length") as? Int ?? 0 > 0)
                // Still sorted by GOD, descending, nulls last.
                let gods = try await page.evaluate(
                    "[...document.querySelectorAll('#results tbody tr td:nth-child(3)')].map(td => td.textContent)") as? [String] ?? []
                let values = gods.prefix { $0 != "—" }.compactMap(Double.init)
                #expect(values == values.sorted(by: >) && values.count + gods.drop { $0 != "—" }.count == 36, "\(gods)")
                try await page.screenshot(to: tableShot)

                // A filter holds while updates arrive.
                _ = try await page.evaluate(
                    "(() => { const f = document.getElementById('filter'); f.value = 'UGN'; f.dispatchEvent(new Event('input')); return true })()")
                #expect(try await page.waitFor("\(rows) === 3"))
                var bumped = try #require(later["OFN"])
                bumped = bumped.replacingOccurrences(of: #""tick_count":"#, with: #""tick_count":9"#)
                let applied = try await page.evaluate("Number(document.body.dataset.liveUpdates)") as? Int ?? 0
                try h.publishLive(["OFN": bumped, symbol: later[symbol]!.replacingOccurrences(of: #""tick_count":"#, with: #""tick_count":8"#)], asOf: LiveFixture.laterAsOf)
                #expect(try await page.waitFor("Number(document.body.dataset.liveUpdates) > \(applied)"))
                #expect(try await page.waitFor("document.querySelector('tr[data-symbol=\"\(symbol)\"] td:last-child').textContent.startsWith('8')"))
                #expect(try await page.evaluate(rows) as? Int == 3)
                _ = try await page.evaluate(
                    "(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); return true })()")

                // Open the symbol: its chart draws every stored print and every known level.
                _ = try await page.evaluate("document.querySelector('tr[data-symbol=\"\(symbol)\"]').click() || true")
                let markers = "document.querySelectorAll('#chart svg circle.print').length"
                #expect(try await page.waitFor("\(markers) > 0"), "the chart did not draw")
                #expect(try await page.evaluate(markers) as? Int == printCount)
                #expect(try await page.evaluate("document.querySelectorAll('#chart svg line.level').length") as? Int == levelCount)
                #expect(try await page.evaluate("document.querySelectorAll('#levels tbody tr').length") as? Int == 12)
                #expect(try await page.evaluate("document.querySelectorAll('#chart svg circle.print.dark').length") as? Int ?? 0 > 0)
                #expect(try await page.evaluate("document.querySelectorAll('#chart svg circle.print.lit').length") as? Int ?? 0 > 0)
                #expect(try await page.evaluate("document.getElementById('error').style.display") as? String != "block")
                _ = try await page.evaluate("window.scrollTo(0, 0) || true")
                try await page.screenshot(to: chartShot)
            }
        }
        expectScreenshots([tableShot, chartShot])
        print("Screenshots of the live page: \(tableShot.path) (table), \(chartShot.path) (chart)")
        #expect(!h.log.contains(" 401 "))
    }

    /// The levels a row gives the chart: GRPAN per window, RWVAP 1d/3d/5d, SRPAN G1/G2, where known.
    static func levels(of row: [String: Any]) -> Int {
        let windows = (row["grpan"] as? [String: Any])?["all_windows"] as? [String: [String: Any]] ?? [:]
        let rwvap = row["rwvap"] as? [String: [String: Any]] ?? [:]
        let srpan = row["srpan"] as? [String: Any] ?? [:]
        let prices: [Any?] =
            ["latest_pan", "pan_10m", "pan_30m", "pan_1h", "pan_3h", "pan_1d", "pan_3d"].map { windows[$0]?["grpan_price"] }
            + ["rwvap_1d", "rwvap_3d", "rwvap_5d"].map { rwvap[$0]?["rwvap"] } + [srpan["grpan1"], srpan["grpan2"]]
        return prices.count { $0 is NSNumber }
    }
}
