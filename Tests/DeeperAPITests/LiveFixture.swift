import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation

@testable import DeeperAPI

/// Live documents of the committed sample, shaped as the live worker stores them
/// (docs/REDIS.md, "Live results"), computed here with the kernels: the API tests seed Redis with
/// them without a live worker.
enum LiveFixture {
    /// The sample's first as_of, and a later one at which most rows differ.
    static let asOf = "2025-11-20T19:00:00Z"
    static let laterAsOf = "2025-11-21T21:00:00Z"

    static let input: OfflineInput = {
        // The committed sample always loads; a failure here is a broken checkout.
        try! OfflineInput.load(
            printsPath: DeeperProcess.path("fixtures/sample-prints.csv"),
            universePath: DeeperProcess.path("fixtures/sample-universe.csv"), rules: .default, skipInvalid: false)
    }()

    /// symbol → SPEC §10.1 one-symbol JSON at `asOf`.
    static func rows(asOf: String) -> [String: String] {
        let (symbols, requests) = input.requests(for: input.symbols.sorted())
        let instant = TimeText.parseInstant(asOf)!
        let metrics = BatchEngine(threads: 1).run(
            store: input.store, requests: requests, asOf: .instant(instant), parameters: AnalysisParameters())
        var rows: [String: String] = [:]
        for (symbol, m) in zip(symbols, metrics) {
            var w = JSONWriter()
            ResultJSON.write(symbol: symbol, m, to: &w)
            rows[symbol] = w.text
        }
        return rows
    }

    /// `deeper_analysis:live:prints` of `symbol`: its prints in the week before `asOf`.
    static func prints(_ symbol: String, asOf: String) -> String {
        let store = input.store
        let end = TimeText.parseInstant(asOf)! / 1_000_000
        let from = end - 7 * 86_400_000
        var t: [Int64] = [], p: [String] = [], s: [Int32] = [], lit: [Bool] = []
        if let i = store.index(of: symbol) {
            for k in store.range(ofSymbol: i) {
                let ms = store.columns.time[k] / 1_000_000
                guard ms >= from, ms <= end else { continue }
                t.append(ms)
                p.append(PriceFormat.decimal(store.columns.price[k]))
                s.append(store.columns.size[k])
                let venue = store.venues[Int(store.columns.venue[k])]
                lit.append(!venue.isEmpty && venue != "FNRA")
            }
        }
        func list<T>(_ values: [T]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }
        return #"{"symbol":\#(quoted(symbol)),"as_of":\#(quoted(asOf)),"from":\#(quoted(iso(from))),"t":\#(list(t)),"p":\#(list(p)),"s":\#(list(s)),"lit":\#(list(lit))}"#
    }

    static func meta(asOf: String, symbols: Int) -> String {
        #"{"as_of":\#(quoted(asOf)),"updated_at":\#(quoted(asOf)),"worker":"fixture","symbols":\#(symbols)}"#
    }

    /// A live notice as the worker publishes it.
    static func notice(asOf: String, symbols: [String]) -> String {
        #"{"as_of":\#(quoted(asOf)),"symbols":[\#(symbols.map(quoted).joined(separator: ","))]}"#
    }

    static func quoted(_ s: String) -> String { JSONText.string(s) }

    static func iso(_ milliseconds: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

extension APIHarness {
    /// Writes what a live worker publishes at `asOf`: every row, the meta, every symbol's prints.
    @discardableResult
    func seedLive(asOf: String = LiveFixture.asOf) throws -> [String: String] {
        let rows = LiveFixture.rows(asOf: asOf)
        var commands: [[String]] = []
        for (symbol, row) in rows.sorted(by: { $0.key < $1.key }) {
            commands.append(["HSET", RedisKeys.live, symbol, row])
            commands.append(["HSET", RedisKeys.livePrints, symbol, LiveFixture.prints(symbol, asOf: asOf)])
        }
        commands.append(["SET", RedisKeys.liveMeta, LiveFixture.meta(asOf: asOf, symbols: rows.count)])
        _ = try redis.pipeline(commands)
        return rows
    }

    /// Writes `rows` and then publishes their notice, in the worker's order.
    func publishLive(_ rows: [String: String], asOf: String) throws {
        var commands = rows.map { ["HSET", RedisKeys.live, $0.key, $0.value] }
        commands.append(["SET", RedisKeys.liveMeta, LiveFixture.meta(asOf: asOf, symbols: rows.count)])
        commands.append(["PUBLISH", RedisKeys.liveUpdates, LiveFixture.notice(asOf: asOf, symbols: rows.keys.sorted())])
        _ = try redis.pipeline(commands)
    }
}
