import DeeperKernels

/// A minimal JSON text builder with a fixed key order (SPEC §10's shapes are a contract, and
/// scripts diff them), exact decimals for prices and shortest round-trip doubles otherwise.
public struct JSONWriter {
    public private(set) var text: String = ""
    private var needsComma: [Bool] = [false]

    public init() {}

    public mutating func beginObject() { value("{"); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); text += "}" }
    public mutating func beginArray() { value("["); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); text += "]" }

    public mutating func key(_ k: String) {
        separate()
        JSONWriter.appendString(k, to: &text)
        text += ":"
        pendingKey = true
    }

    private var pendingKey = false

    private mutating func separate() {
        if pendingKey {
            pendingKey = false
            return
        }
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func value(_ raw: String) {
        separate()
        text += raw
    }

    public mutating func null() { value("null") }
    public mutating func string(_ s: String) {
        separate()
        JSONWriter.appendString(s, to: &text)
    }
    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func bool(_ b: Bool) { value(b ? "true" : "false") }
    public mutating func int<T: BinaryInteger>(_ v: T) { value(String(v)) }
    public mutating func int<T: BinaryInteger>(_ v: T?) { if let v { int(v) } else { null() } }
    public mutating func double(_ v: Double?) {
        guard let v, v.isFinite else { return null() }
        value(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) + ".0" : String(v))
    }
    /// An exact price from ticks of $0.0001.
    public mutating func price(_ ticks: Int64?) {
        if let ticks { value(PriceFormat.decimal(ticks)) } else { null() }
    }
    /// Pre-rendered JSON.
    public mutating func raw(_ json: String) { value(json) }

    public mutating func field(_ k: String, _ v: Double?) { key(k); double(v) }
    public mutating func field(_ k: String, price v: Int64?) { key(k); price(v) }
    public mutating func field<T: BinaryInteger>(_ k: String, _ v: T?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: String?) { key(k); string(v) }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}

/// Exact decimal text for integer ticks and thousandths.
public enum PriceFormat {
    /// `249100` → `24.91`, `250000` → `25.0`, `-183` → `-0.0183`.
    public static func decimal(_ ticks: Int64) -> String { fixed(ticks, places: 4) }

    /// Weights in thousandths: `400` → `0.4`.
    public static func thousandths(_ v: Int64) -> String { fixed(v, places: 3) }

    static func fixed(_ v: Int64, places: Int) -> String {
        var unit: Int64 = 1
        for _ in 0..<places { unit *= 10 }
        let negative = v < 0
        let magnitude = v.magnitude
        let whole = magnitude / UInt64(unit)
        var fraction = magnitude % UInt64(unit)
        var width = places
        while width > 1 && fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        var digits = String(fraction)
        while digits.count < width { digits = "0" + digits }
        return (negative ? "-" : "") + String(whole) + "." + digits
    }
}

/// SPEC §10 JSON for symbols and job results.
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
            if let top = g.topPrices {
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
        w.field("timestamp", m.asOf.map(Nanos.iso8601))
        w.endObject()
    }

    /// The job result wrapper of SPEC §10.
    public static func jobResult(
        jobID: String, symbols: [String], metrics: [SymbolMetrics], processedCount: Int, finishedAt: Int64
    ) -> String {
        var w = JSONWriter()
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
        return w.text
    }
}
