import DeeperData
import DeeperKernels

/// The live publisher's memory of what it last wrote, and the work of deciding what to write
/// next: recompute symbols from a history snapshot, encode them as the SPEC §10.1 one-symbol
/// JSON (the bytes a job result holds for that symbol), and keep only those that changed.
///
/// One thread owns it. It keeps one `KernelWorkspace` and one `JSONWriter` for its life, so a
/// symbol whose JSON did not change costs its computation and a compare, and allocates nothing;
/// a changed one costs the copy that goes to Redis.
public struct LiveResults {
    /// Trading days of prints the chart's list covers (`deeper_analysis:live:prints`).
    public static let chartTradingDays = 5

    public let parameters: AnalysisParameters
    private let workspace = KernelWorkspace()
    private var writer = JSONWriter(capacity: 8 * 1024)
    /// By history id: the JSON last published (nil: never, or forgotten).
    private var published: [[UInt8]?] = []
    /// How many of `published` are not nil.
    private var publishedWithHistory = 0
    /// Symbols named by `deeper_analysis:symbols` without prints in the history: their JSON last published.
    private var publishedWithoutHistory: [String: [UInt8]] = [:]
    /// By history id: the chart's print list last published, as bounds (nil: never).
    private var publishedPrints: [ChartWindow?] = []
    /// By history id: prints arrived since the chart's list was last published.
    private var printsDirty: [Bool] = []

    /// What one publish carries.
    public struct Changes {
        /// Changed entries of `deeper_analysis:live`: symbol and its JSON.
        public var entries: [(symbol: String, json: [UInt8])] = []
        /// Changed entries of `deeper_analysis:live:prints`.
        public var prints: [(symbol: String, json: [UInt8])] = []
        public init() {}
    }

    public init(parameters: AnalysisParameters) {
        self.parameters = parameters
    }

    /// Forgets everything published, so the next `update` writes every symbol it is given (after
    /// taking the lease over, or when the history was rebuilt and ids changed meaning).
    public mutating func forget() {
        published.removeAll()
        publishedWithHistory = 0
        publishedWithoutHistory.removeAll()
        publishedPrints.removeAll()
        printsDirty.removeAll()
    }

    /// Recomputes the symbols `ids` of `history` at `asOf` and appends to `changes` those whose
    /// JSON differs from what was last published (and remembers them as published).
    ///
    /// - Parameters:
    ///   - avgADV: `avg_adv` by symbol (SPEC §1.2); a symbol missing is unknown.
    ///   - prints: also rebuild the chart's print list of each symbol whose list changed.
    public mutating func update(
        history: LiveHistory, ids: some Sequence<Int>, asOf: AsOf, avgADV: [String: ExactDecimal],
        prints: Bool, into changes: inout Changes
    ) {
        let names = history.symbols
        grow(to: names.count)
        for id in ids {
            let (columns, range) = history.history(ofSymbol: id)
            let symbol = names[id]
            let metrics = workspace.analyzeSymbol(
                columns, range: range, avgADV: avgADV[symbol], asOf: asOf, parameters: parameters)
            writer.removeAll()
            ResultJSON.write(symbol: symbol, metrics, to: &writer)
            if published[id] != writer.bytes {
                if published[id] == nil { publishedWithHistory += 1 }
                published[id] = writer.bytes
                changes.entries.append((symbol, writer.bytes))
            }
            guard prints else { continue }
            let window = ChartWindow(columns, range: range, asOf: asOf, parameters: parameters)
            if printsDirty[id] || publishedPrints[id] != window {
                printsDirty[id] = false
                publishedPrints[id] = window
                writer.removeAll()
                Self.writePrints(symbol: symbol, columns, window, history: history, to: &writer)
                changes.prints.append((symbol, writer.bytes))
            }
        }
    }

    /// Marks the chart's print list of symbols `ids` as changed (prints arrived), so the next
    /// `update` with `prints` rewrites it even if its bounds look the same.
    public mutating func markPrintsChanged(_ ids: some Sequence<Int>, symbolCount: Int) {
        grow(to: symbolCount)
        for id in ids { printsDirty[id] = true }
    }

    /// The no-history JSON of each symbol in `symbols` that `history` does not know, when it
    /// changed (their avg_adv may).
    public mutating func updateWithoutHistory(
        _ symbols: [String], history: LiveHistory, avgADV: [String: ExactDecimal], into changes: inout Changes
    ) {
        for symbol in symbols where history.index(of: symbol) == nil {
            writer.removeAll()
            ResultJSON.write(
                symbol: symbol, .noHistory(avgADV: avgADV[symbol], rules: parameters.rules), to: &writer)
            if publishedWithoutHistory[symbol] != writer.bytes {
                publishedWithoutHistory[symbol] = writer.bytes
                changes.entries.append((symbol, writer.bytes))
            }
        }
    }

    /// Symbols published so far (the hash's field count).
    public var publishedCount: Int { publishedWithHistory + publishedWithoutHistory.count }

    private mutating func grow(to n: Int) {
        guard published.count < n else { return }
        let more = n - published.count
        published += repeatElement(nil, count: more)
        publishedPrints += repeatElement(nil, count: more)
        printsDirty += repeatElement(true, count: more)
    }

    // MARK: - The chart's print list

    /// Which of a symbol's prints the chart shows: those the kernels see at `asOf` (time ≤ as_of,
    /// after the history cap, SPEC §5) from the open of the fifth trading day back (`from`).
    struct ChartWindow: Equatable {
        /// The window's bounds, nanoseconds: `from` ≤ time ≤ `asOf`.
        var from: Int64
        var asOf: Int64
        /// Indices into the symbol's columns.
        var lower: Int
        var upper: Int
        /// First and last print times in it (with the count, they tell a shifted list).
        var firstTime: Int64
        var lastTime: Int64

        /// The window in `columns[range]` (print order, times ascending) at `asOf`.
        init(_ columns: PrintColumns, range: Range<Int>, asOf: AsOf, parameters: AnalysisParameters) {
            let time = columns.time
            let end: Int64
            switch asOf {
            case .instant(let t): end = t
            case .last: end = range.isEmpty ? 0 : time[range.upperBound - 1]
            }
            // First index past as_of, then the cap, then the five-day start.
            var upper = Self.firstIndex(time, range, where: { $0 > end })
            if range.isEmpty { upper = range.lowerBound }
            let cap = parameters.rules.historyCap
            let capped = cap > 0 ? max(range.lowerBound, upper - cap) : range.lowerBound
            let from = parameters.calendar.windowStart(tradingDays: LiveResults.chartTradingDays, at: end)
            let lower = max(capped, Self.firstIndex(time, capped..<upper, where: { $0 >= from }))
            self.from = from
            self.asOf = end
            self.lower = lower
            self.upper = upper
            self.firstTime = lower < upper ? time[lower] : 0
            self.lastTime = lower < upper ? time[upper - 1] : 0
        }

        static func == (a: ChartWindow, b: ChartWindow) -> Bool {
            // The list's content, not its bounds: as_of moving with no print crossing it changes nothing.
            a.upper - a.lower == b.upper - b.lower && a.firstTime == b.firstTime && a.lastTime == b.lastTime
        }

        /// The first index `i` in `range` with `predicate(time[i])` (false then true along it), or its end.
        static func firstIndex(_ time: [Int64], _ range: Range<Int>, where predicate: (Int64) -> Bool) -> Int {
            var lo = range.lowerBound
            var hi = range.upperBound
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if predicate(time[mid]) { hi = mid } else { lo = mid &+ 1 }
            }
            return lo
        }
    }

    /// `{"symbol","as_of","from","t":[epoch ms],"p":[prices],"s":[sizes],"lit":[bools]}`, oldest first.
    static func writePrints(
        symbol: String, _ columns: PrintColumns, _ window: ChartWindow, history: LiveHistory, to w: inout JSONWriter
    ) {
        let span = window.lower..<window.upper
        w.beginObject()
        w.field("symbol", symbol)
        w.field("as_of", Nanos.iso8601(window.asOf))
        w.field("from", Nanos.iso8601(window.from))
        w.key("t")
        w.beginArray()
        for i in span { w.int(columns.time[i] / Nanos.perMillisecond) }
        w.endArray()
        w.key("p")
        w.beginArray()
        for i in span { w.price(columns.price[i]) }
        w.endArray()
        w.key("s")
        w.beginArray()
        for i in span { w.int(columns.size[i]) }
        w.endArray()
        w.key("lit")
        w.beginArray()
        for i in span { w.bool(history.venueClass(ofVenueID: columns.venue[i]) == .lit) }
        w.endArray()
        w.endObject()
    }
}
