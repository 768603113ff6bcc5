import DeeperKernels

/// The SPEC §10 result writer: one symbol's object and a whole job result, exactly as a worker
/// stores them and `deeper analyze --format json` prints them (key order, nulls, decimals).
///
/// Built on `JSONWriter`, straight into bytes: a worker writes a whole market per job.
public enum ResultJSON {
    /// One symbol's object.
    public static func write(symbol: String, _ m: SymbolMetrics, to w: inout JSONWriter) {
        w.beginObject()
        w.field("symbol", symbol)
        w.field("god", m.god)
        w.field("rod", m.rod)
        w.field("last_price", price: m.lastPrice)
        w.field("tick_count", m.tickCount)
        w.key("grpan")
        w.beginObject()
        w.field("value", price: m[.latestPan].grpanPrice)
        w.key("all_windows")
        w.beginObject()
        for window in GRPANWindow.allCases {
            let g = m[window]
            w.key(window.name)
            w.beginObject()
            w.field("grpan_price", price: g.grpanPrice)
            w.field("concentration_percent", g.concentrationPercent)
            w.field("print_count", g.printCount)
            w.field("real_lot_count", g.realLotCount)
            w.field("deviation_vs_last", price: g.deviationVsLast)
            w.field("deviation_vs_prev_window", price: g.deviationVsPrevWindow)
            if let top = m.topPrices(window) {
                w.key("top_prices")
                w.beginArray()
                for t in top {
                    w.beginObject()
                    w.field("price", price: t.price)
                    w.key("weight")
                    w.raw(PriceFormat.thousandths(t.weight))
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
        }
        w.endObject()
        w.endObject()
        w.key("rwvap")
        w.beginObject()
        for window in RWVAPWindow.allCases {
            let r = m[window]
            w.key(window.name)
            w.beginObject()
            w.field("rwvap", r.rwvap)
            w.field("status", r.status.rawValue)
            w.field("total_volume", r.totalVolume)
            w.field("effective_print_count", r.effectivePrintCount)
            w.field("excluded_print_count", r.excludedPrintCount)
            w.field("excluded_volume", r.excludedVolume)
            w.field("excluded_volume_ratio", r.excludedVolumeRatio)
            w.field("deviation_vs_last", r.deviationVsLast)
            w.field("avg_adv", r.avgADV)
            w.field("extreme_threshold", r.extremeThreshold)
            w.endObject()
        }
        w.endObject()
        let s = m.srpan
        w.key("srpan")
        w.beginObject()
        w.field("srpan_score", s.srpanScore)
        w.field("grpan1", price: s.grpan1)
        w.field("grpan1_conf", s.grpan1Conf)
        w.field("grpan2", price: s.grpan2)
        w.field("grpan2_conf", s.grpan2Conf)
        w.field("spread", s.spread)
        w.field("direction", s.direction.rawValue)
        w.field("balance_score", s.balanceScore)
        w.field("total_score", s.totalScore)
        w.field("spread_score", s.spreadScore)
        w.endObject()
        w.key("timestamp")
        w.instant(m.asOf)
        w.endObject()
    }

    /// The job result wrapper of SPEC §10.3.
    public static func jobResult(
        jobID: String, symbols: [String], metrics: [SymbolMetrics], processedCount: Int, finishedAt: Int64
    ) -> String {
        String(
            decoding: jobResultBytes(
                jobID: jobID, symbols: symbols, metrics: metrics, processedCount: processedCount, finishedAt: finishedAt),
            as: UTF8.self)
    }

    /// `jobResult` as UTF-8 bytes, as the worker hands it to Redis (a whole market's result is
    /// megabytes: no `String` round trip).
    public static func jobResultBytes(
        jobID: String, symbols: [String], metrics: [SymbolMetrics], processedCount: Int, finishedAt: Int64
    ) -> [UInt8] {
        // ≈ 2.4 KB a symbol: room for all of it up front, so the buffer never regrows.
        var w = JSONWriter(capacity: 256 + symbols.count * bytesPerSymbolEstimate)
        w.beginObject()
        w.key("success")
        w.bool(true)
        w.field("job_id", jobID)
        w.field("processed_count", processedCount)
        w.field("total_symbols", symbols.count)
        w.key("data")
        w.beginObject()
        for (symbol, m) in zip(symbols, metrics) {
            w.key(symbol)
            write(symbol: symbol, m, to: &w)
        }
        w.endObject()
        w.field("timestamp", Nanos.iso8601(finishedAt))
        w.endObject()
        return w.bytes
    }

    /// A generous size of one symbol's object (detail mode with full top lists is larger, and
    /// simply regrows the buffer).
    static let bytesPerSymbolEstimate = 2_800
}
