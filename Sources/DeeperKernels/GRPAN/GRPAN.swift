// GRPAN (SPEC §6): the weighted price mode of seven nested windows.
//
// This folder holds the metric whole: its windows and numbers here, the plain reference in
// `GRPAN+Reference.swift`, the fast sweep and band count in `GRPAN+Unsafe.swift`. The test that
// holds the two equal is `Tests/DeeperKernelsTests/GRPAN/GRPANTests.swift`.

/// Names of the GRPAN windows, in SPEC §6 order (the order `deviation_vs_prev_window` follows).
public enum GRPANWindow: Int, CaseIterable, Sendable {
    /// A GRPAN window: `latestPan` holds the last prints, `pan10m` to `pan3h` reach back minutes,
    /// `pan1d` and `pan3d` trading days (SPEC §6.2); ``name`` is its JSON key.
    case latestPan, pan10m, pan30m, pan1h, pan3h, pan1d, pan3d

    /// The number of windows: the size of `SymbolMetrics.grpan`.
    public static let count = 7

    /// The JSON key.
    public var name: String {
        switch self {
        case .latestPan: "latest_pan"
        case .pan10m: "pan_10m"
        case .pan30m: "pan_30m"
        case .pan1h: "pan_1h"
        case .pan3h: "pan_3h"
        case .pan1d: "pan_1d"
        case .pan3d: "pan_3d"
        }
    }

    /// Every window in SPEC order, without building an array: the kernels loop over it once
    /// per symbol and allocate nothing.
    static var all: LazyMapSequence<Range<Int>, GRPANWindow> {
        (0..<count).lazy.map { GRPANWindow(rawValue: $0)! }
    }

    /// The window's length under `rules`: the one place that says which rule sets which window.
    func length(_ rules: Rules) -> WindowLength {
        switch self {
        case .latestPan: .prints(rules.latestPanPrints)
        case .pan10m: .minutes(rules.panMinutes[0])
        case .pan30m: .minutes(rules.panMinutes[1])
        case .pan1h: .minutes(rules.panMinutes[2])
        case .pan3h: .minutes(rules.panMinutes[3])
        case .pan1d: .tradingDays(rules.panTradingDays[0])
        case .pan3d: .tradingDays(rules.panTradingDays[1])
        }
    }

    /// Whether GOD averages this window (SPEC §8: the time windows, not `latest_pan`).
    var isTimeWindow: Bool { self != .latestPan }
}

/// How far back a window reaches from as-of (SPEC §6, §7).
enum WindowLength: Equatable {
    /// The last N prints of history.
    case prints(Int)
    /// Prints at or after as-of minus N minutes.
    case minutes(Int)
    /// Prints at or after the open of the trading day N − 1 trading days before as-of's
    /// (`TradingCalendar.windowStart`).
    case tradingDays(Int)
}

/// A price with its summed GRPAN weight (detail mode `top_prices`).
public struct PriceWeight: Sendable, Equatable {
    /// Ticks of $0.0001.
    public var price: Int64
    /// Thousandths.
    public var weight: Int64

    /// A price and its summed weight.
    public init(price: Int64, weight: Int64) {
        self.price = price
        self.weight = weight
    }
}

/// One GRPAN window's numbers (SPEC §6). Prices and deviations are exact, in ticks.
///
/// Plain numbers only, so that the seven windows of a symbol copy as bytes; detail mode's
/// `top_prices` live in `SymbolMetrics.topPrices`.
public struct GRPANWindowMetrics: Sendable, Equatable {
    /// The weighted mode in ticks; nil for an empty window.
    public var grpanPrice: Int64?
    /// The percentage of the window's prints within the concentration range of `grpanPrice`;
    /// nil for an empty window.
    public var concentrationPercent: Double?
    /// The number of prints in the window.
    public var printCount: Int
    /// The window's total shares.
    public var realLotCount: Int64
    /// Last price minus `grpanPrice`, in ticks; nil for an empty window.
    public var deviationVsLast: Int64?
    /// `grpanPrice` minus that of the nearest earlier window with a price, in ticks; nil when there
    /// is none or this window is empty.
    public var deviationVsPrevWindow: Int64?

    /// A window with no prints: nulls and zero counts, no `topPrices`.
    public static let empty = GRPANWindowMetrics(
        grpanPrice: nil, concentrationPercent: nil, printCount: 0, realLotCount: 0,
        deviationVsLast: nil, deviationVsPrevWindow: nil)

    /// A window's numbers from their parts; `MetricsAssembly.grpanWindow` builds them from a mode.
    public init(
        grpanPrice: Int64?, concentrationPercent: Double?, printCount: Int, realLotCount: Int64,
        deviationVsLast: Int64?, deviationVsPrevWindow: Int64?
    ) {
        self.grpanPrice = grpanPrice
        self.concentrationPercent = concentrationPercent
        self.printCount = printCount
        self.realLotCount = realLotCount
        self.deviationVsLast = deviationVsLast
        self.deviationVsPrevWindow = deviationVsPrevWindow
    }
}

extension MetricsAssembly {
    /// A GRPAN window from its mode and counts; deviations are filled by `linkGRPANDeviations`.
    @inlinable
    public static func grpanWindow(mode: Int64?, printCount: Int, realLotCount: Int64, bandCount: Int)
        -> GRPANWindowMetrics
    {
        guard let mode, printCount > 0 else { return .empty }
        return GRPANWindowMetrics(
            grpanPrice: mode, concentrationPercent: 100.0 * Double(bandCount) / Double(printCount),
            printCount: printCount, realLotCount: realLotCount, deviationVsLast: nil,
            deviationVsPrevWindow: nil)
    }

    /// Fills `deviation_vs_last` and `deviation_vs_prev_window` in window order; the previous
    /// window is the nearest earlier one with a price.
    public static func linkGRPANDeviations(_ windows: inout InlineArray<7, GRPANWindowMetrics>, lastPrice: Int64?) {
        var previous: Int64? = nil
        for w in GRPANWindow.all {
            guard let g = windows[w.rawValue].grpanPrice else { continue }
            if let lastPrice { windows[w.rawValue].deviationVsLast = lastPrice - g }
            if let previous { windows[w.rawValue].deviationVsPrevWindow = g - previous }
            previous = g
        }
    }
}
