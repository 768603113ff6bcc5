@testable import DeeperKernels
import Testing

// Shared helpers for the kernel tests: readable prints in, a `PrintStore` or metrics out.

/// `2025-03-12T14:00:00Z`, optionally with up to 9 fraction digits, as nanoseconds since the epoch.
/// Test input only: traps on anything else.
func instant(_ text: String) -> Int64 {
    precondition(text.hasSuffix("Z"), "test instants are UTC: \(text)")
    let parts = text.dropLast().split(separator: "T")
    precondition(parts.count == 2, "bad instant \(text)")
    guard let date = CivilDate(iso: parts[0]) else { preconditionFailure("bad date \(text)") }
    let clock = parts[1].split(separator: ".", omittingEmptySubsequences: false)
    let hms = clock[0].split(separator: ":").map { Int64($0)! }
    precondition(hms.count == 3, "bad time \(text)")
    var fraction: Int64 = 0
    if clock.count == 2 {
        let digits = clock[1]
        precondition(digits.count >= 1 && digits.count <= 9, "bad fraction \(text)")
        fraction = Int64(digits)!
        for _ in digits.count..<9 { fraction *= 10 }
    }
    return Int64(date.daysSinceEpoch) * Nanos.perDay + hms[0] * Nanos.perHour + hms[1] * Nanos.perMinute
        + hms[2] * Nanos.perSecond + fraction
}

/// A decimal price such as `24.905` as ticks of $0.0001 (at most 4 decimals). Test input only.
func ticks(_ text: String) -> Int64 {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    precondition(parts.count <= 2, "bad price \(text)")
    var value = Int64(parts[0])! * 10_000
    if parts.count == 2 {
        let digits = parts[1]
        precondition(digits.count <= 4, "more than 4 decimals: \(text)")
        var fraction = Int64(digits)!
        for _ in digits.count..<4 { fraction *= 10 }
        value += fraction
    }
    return value
}

/// One print of a test scenario.
struct TestPrint {
    var time: Int64
    var price: Int64
    var size: Int32
    var venue: String

    /// `venue` "" is the unknown venue; the default is a lit venue.
    init(_ time: String, _ price: String, _ size: Int32 = 100, _ venue: String = "NYSE") {
        self.init(instant(time), price, size, venue)
    }

    init(_ time: Int64, _ price: String, _ size: Int32 = 100, _ venue: String = "NYSE") {
        self.time = time
        self.price = ticks(price)
        self.size = size
        self.venue = venue
    }
}

/// `count` prints one second apart from `start`, all at `price` with `size` on `venue`.
func printRun(from start: String, count: Int, _ price: String, _ size: Int32 = 100, _ venue: String = "NYSE")
    -> [TestPrint]
{
    (0..<count).map { TestPrint(instant(start) + Int64($0) * Nanos.perSecond, price, size, venue) }
}

/// A store of the given symbols' prints (input order kept within a symbol; the store sorts by time).
func makeStore(_ symbols: [(String, [TestPrint])], rules: Rules = .default) -> PrintStore {
    var venues = InternTable([""])
    var raw: [RawPrint] = []
    for (s, entry) in symbols.enumerated() {
        let prints = entry.1
        for p in prints {
            let v = venues.intern(p.venue)
            raw.append(RawPrint(symbol: Int32(s), time: p.time, price: p.price, size: p.size, venue: UInt16(v)))
        }
    }
    return PrintStore(prints: raw, symbols: symbols.map(\.0), venues: venues.names, rules: rules)
}

/// The two implementations of every metric: known answers hold on both.
enum KernelPath: String, CaseIterable, CustomTestStringConvertible {
    /// `KernelWorkspace`, the path the engine runs.
    case fast
    /// `ReferenceKernels`, docs/SPEC.md written out plainly.
    case reference

    var testDescription: String { rawValue }

    /// The metrics of one symbol made of `prints`, on this path.
    ///
    /// The fast path must compute them itself: a symbol it hands to the reference (a price span
    /// wider than `KernelWorkspace.maxDenseSpan`) fails the test, since it would only check the
    /// reference twice.
    ///
    /// - Parameter kernels: what the fast path runs (the reference always computes everything).
    func analyze(
        _ prints: [TestPrint], avgADV: String? = nil, asOf: AsOf = .last, rules: Rules = .default,
        detail: Bool = false, kernels: KernelSet = .all, sourceLocation: SourceLocation = #_sourceLocation
    ) -> SymbolMetrics {
        let store = makeStore([("TEST", prints)], rules: rules)
        let adv = avgADV.map { ExactDecimal($0)! }
        let parameters = AnalysisParameters(rules: rules, detail: detail)
        switch self {
        case .fast:
            let workspace = KernelWorkspace()
            let m = workspace.analyzeSymbol(
                store.columns, range: store.range(ofSymbol: 0), avgADV: adv, asOf: asOf, parameters: parameters,
                kernels: kernels)
            #expect(
                workspace.referenceFallbacks == 0, "the fast path fell back to the reference",
                sourceLocation: sourceLocation)
            return m
        case .reference:
            return ReferenceKernels.analyzeSymbol(
                store.columns, range: store.range(ofSymbol: 0), avgADV: adv, asOf: asOf, parameters: parameters)
        }
    }
}

/// Whether two reported doubles agree as SPEC §10.2 asks: within max(1e-9 × |x|, 1e-9); nil only with nil.
func isClose(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return abs(x - y) <= max(1e-9 * abs(y), 1e-9)
    default: return false
    }
}

/// Columns holding `price` and `size` (and `weight`, default 1.0 each) at times 0, 1, 2, …: for
/// the tests that hold one unsafe function equal to its plain twin.
func columns(price: [Int64], size: [Int32], weight: [Int32]? = nil) -> PrintColumns {
    precondition(price.count == size.count && (weight?.count ?? price.count) == price.count)
    var c = PrintColumns()
    for i in price.indices {
        c.append(time: Int64(i), price: price[i], size: size[i], venue: 0, weight: weight?[i] ?? 1000)
    }
    return c
}
