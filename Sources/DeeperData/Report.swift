import DeeperKernels

/// The human and spreadsheet views of an analysis: a table sorted by |god| and its CSV twin.
public enum Report {
    public static let columns = [
        "symbol", "last_price", "god", "rod", "grpan", "pan_1d", "rwvap_1d", "srpan_score", "tick_count",
    ]

    /// Indices of `metrics` by |god| descending; symbols without a god last, then by name.
    public static func rankByGOD(symbols: [String], metrics: [SymbolMetrics]) -> [Int] {
        metrics.indices.sorted { a, b in
            switch (metrics[a].god, metrics[b].god) {
            case let (x?, y?) where abs(x) != abs(y): return abs(x) > abs(y)
            case (.some, nil): return true
            case (nil, .some): return false
            default: return symbols[a] < symbols[b]
            }
        }
    }

    static func cells(_ symbol: String, _ m: SymbolMetrics) -> [String] {
        func price(_ t: Int64?) -> String { t.map(PriceFormat.cents) ?? "-" }
        func signed(_ v: Double?, _ places: Int) -> String {
            guard let v else { return "-" }
            return (v >= 0 ? "+" : "") + fixed(v, places)
        }
        return [
            symbol, price(m.lastPrice), signed(m.god, 4), signed(m.rod, 4), price(m[.latestPan].grpanPrice),
            price(m[.pan1d].grpanPrice), m[.rwvap1d].rwvap.map { fixed($0, 4) } ?? "-",
            fixed(m.srpan.srpanScore, 1), String(m.tickCount),
        ]
    }

    /// A fixed-point rendering without Foundation.
    public static func fixed(_ v: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        guard scaled < 9e18 else { return String(v) }
        let n = Int64(scaled)
        let unit = Int64(scale)
        var frac = String(n % unit)
        while frac.count < places { frac = "0" + frac }
        let sign = v < 0 && n != 0 ? "-" : ""
        return sign + String(n / unit) + (places > 0 ? "." + frac : "")
    }

    /// An aligned text table (`top` rows at most).
    public static func table(symbols: [String], metrics: [SymbolMetrics], top: Int? = nil) -> String {
        let order = rankByGOD(symbols: symbols, metrics: metrics).prefix(top ?? Int.max)
        let header = ["SYMBOL", "LAST", "GOD", "ROD", "GRPAN", "PAN_1D", "RWVAP_1D", "SRPAN", "TICKS"]
        let rows = [header] + order.map { cells(symbols[$0], metrics[$0]) }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for row in rows {
            var line = ""
            for (i, c) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += i == 0 ? c + pad : "  " + pad + c
            }
            out += line + "\n"
        }
        return out
    }

    /// One CSV row per symbol, same order and columns as the table.
    public static func csv(symbols: [String], metrics: [SymbolMetrics], top: Int? = nil) -> String {
        let order = rankByGOD(symbols: symbols, metrics: metrics).prefix(top ?? Int.max)
        var out = columns.joined(separator: ",") + "\n"
        for i in order {
            let m = metrics[i]
            let fields: [String] = [
                csvField(symbols[i]), m.lastPrice.map(PriceFormat.decimal) ?? "", m.god.map { String($0) } ?? "",
                m.rod.map { String($0) } ?? "", m[.latestPan].grpanPrice.map(PriceFormat.decimal) ?? "",
                m[.pan1d].grpanPrice.map(PriceFormat.decimal) ?? "", m[.rwvap1d].rwvap.map { String($0) } ?? "",
                String(m.srpan.srpanScore), String(m.tickCount),
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + s.replacingOccurrences("\"", "\"\"") + "\"" : s
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: Character, _ b: String) -> String {
        var out = ""
        for c in self { if c == a { out += b } else { out.append(c) } }
        return out
    }
}
