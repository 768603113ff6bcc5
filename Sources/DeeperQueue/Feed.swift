import DeeperData
import DeeperKernels
import DeeperRedis
import Foundation

/// Writing prints and static data into Redis: `deeper replay`, `deeper load-universe`, and the
/// API's `POST /api/prints` all come through here.
public enum Feed {
    /// Prints per pipelined batch: large enough to amortize round trips, small enough to keep
    /// Redis responsive to other clients.
    public static let batchSize = 5_000

    /// Appends prints to `deeper_analysis:prints` (pipelined XADD with MINID trimming to the
    /// retention) and their symbols to `deeper_analysis:symbols`.
    ///
    /// - Parameters:
    ///   - prints: in the order to append (the stream keeps arrival order).
    ///   - symbols: names indexed by `RawPrint.symbol`; venues likewise by `RawPrint.venue`.
    ///   - retentionStartMilliseconds: entries that arrived before this are trimmed (MINID ~).
    /// - Returns: the number of entries added.
    @discardableResult
    public static func append(
        _ redis: RedisConnection, prints: ArraySlice<RawPrint>, symbols: [String], venues: [String],
        retentionStartMilliseconds: Int64
    ) throws(RedisError) -> Int {
        guard !prints.isEmpty else { return 0 }
        var batch = RedisCommandBatch(reservingCommands: prints.count + 1, bytesPerCommand: 96, argumentsPerCommand: 16)
        var seen = Set<Int32>()
        let minID = "\(max(0, retentionStartMilliseconds))-0"
        for p in prints {
            batch.add("XADD")
            batch.add(RedisKeys.prints)
            batch.add("MINID")
            batch.add("~")
            batch.add(minID)
            batch.add("*")
            batch.add("sym")
            batch.add(symbols[Int(p.symbol)])
            batch.add("t")
            batch.add(Int(p.time / Nanos.perMillisecond))
            batch.add("p")
            batch.add(PriceFormat.decimal(p.price))
            batch.add("s")
            batch.add(Int(p.size))
            batch.add("v")
            batch.add(venues[Int(p.venue)])
            batch.endCommand()
            seen.insert(p.symbol)
        }
        batch.append(["SADD", RedisKeys.symbols] + seen.sorted().map { symbols[Int($0)] })
        var added = 0
        var firstError: String?
        try redis.pipeline(batch) { (_, reply) throws(RedisError) in
            if reply.kind == .error {
                if firstError == nil { firstError = String(decoding: reply.bytes, as: UTF8.self) }
            } else {
                added += 1
            }
        }
        if let firstError { throw .server(firstError) }
        return added - 1  // the SADD
    }

    /// Fills `deeper_analysis:avg_adv` from a universe (unknown avg_adv → the field is removed).
    ///
    /// - Throws: the first error reply (`NOAUTH`, `WRONGTYPE`, …) of any command.
    public static func loadUniverse(_ redis: RedisConnection, _ entries: [UniverseEntry]) throws(RedisError) -> Int {
        var batch = RedisCommandBatch()
        var known = 0
        for e in entries {
            if let a = e.avgADV {
                batch.append(["HSET", RedisKeys.avgADV, e.symbol, a.description])
                known += 1
            } else {
                batch.append(["HDEL", RedisKeys.avgADV, e.symbol])
            }
        }
        for reply in try redis.pipeline(batch) {
            if case .error(let e) = reply { throw .server(e) }
        }
        return known
    }

    /// The retention start for trimming: `PrintRetention.streamTradingDays` before now.
    public static func retentionStartMilliseconds(calendar: TradingCalendar, now: Int64) -> Int64 {
        calendar.windowStart(tradingDays: PrintRetention.streamTradingDays, at: now) / Nanos.perMillisecond
    }
}
