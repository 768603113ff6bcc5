/// Names of the GRPAN windows, in SPEC §6 order (the order `deviation_vs_prev_window` follows).
public enum GRPANWindow: Int, CaseIterable, Sendable {
    case latestPan, pan10m, pan30m, pan1h, pan3h, pan1d, pan3d

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
}

/// Names of the RWVAP windows, in SPEC §7 order.
public enum RWVAPWindow: Int, CaseIterable, Sendable {
    case rwvap1d, rwvap3d, rwvap5d

    public var name: String {
        switch self {
        case .rwvap1d: "rwvap_1d"
        case .rwvap3d: "rwvap_3d"
        case .rwvap5d: "rwvap_5d"
        }
    }
}

/// A price with its summed GRPAN weight (detail mode `top_prices`).
public struct PriceWeight: Sendable, Equatable {
    /// Ticks of $0.0001.
    public var price: Int64
    /// Thousandths.
    public var weight: Int64

    public init(price: Int64, weight: Int64) {
        self.price = price
        self.weight = weight
    }
}

/// One GRPAN window's numbers (SPEC §6). Prices and deviations are exact, in ticks.
public struct GRPANWindowMetrics: Sendable, Equatable {
    public var grpanPrice: Int64?
    public var concentrationPercent: Double?
    public var printCount: Int
    public var realLotCount: Int64
    public var deviationVsLast: Int64?
    public var deviationVsPrevWindow: Int64?
    /// Only in detail mode.
    public var topPrices: [PriceWeight]?

    public static let empty = GRPANWindowMetrics(
        grpanPrice: nil, concentrationPercent: nil, printCount: 0, realLotCount: 0,
        deviationVsLast: nil, deviationVsPrevWindow: nil, topPrices: nil)

    public init(
        grpanPrice: Int64?, concentrationPercent: Double?, printCount: Int, realLotCount: Int64,
        deviationVsLast: Int64?, deviationVsPrevWindow: Int64?, topPrices: [PriceWeight]?
    ) {
        self.grpanPrice = grpanPrice
        self.concentrationPercent = concentrationPercent
        self.printCount = printCount
        self.realLotCount = realLotCount
        self.deviationVsLast = deviationVsLast
        self.deviationVsPrevWindow = deviationVsPrevWindow
        self.topPrices = topPrices
    }
}

public enum RWVAPStatus: String, Sendable {
    case ok = "OK"
    case collecting = "COLLECTING"
    case insufficientData = "INSUFFICIENT_DATA"
}

/// One RWVAP window's numbers (SPEC §7). `rwvap` and deviations are in dollars.
public struct RWVAPWindowMetrics: Sendable, Equatable {
    public var rwvap: Double?
    public var status: RWVAPStatus
    public var totalVolume: Int64
    public var effectivePrintCount: Int
    public var excludedPrintCount: Int
    public var excludedVolume: Int64
    public var excludedVolumeRatio: Double
    public var deviationVsLast: Double?
    public var avgADV: Double?
    public var extremeThreshold: Double?

    public init(
        rwvap: Double?, status: RWVAPStatus, totalVolume: Int64, effectivePrintCount: Int,
        excludedPrintCount: Int, excludedVolume: Int64, excludedVolumeRatio: Double,
        deviationVsLast: Double?, avgADV: Double?, extremeThreshold: Double?
    ) {
        self.rwvap = rwvap
        self.status = status
        self.totalVolume = totalVolume
        self.effectivePrintCount = effectivePrintCount
        self.excludedPrintCount = excludedPrintCount
        self.excludedVolume = excludedVolume
        self.excludedVolumeRatio = excludedVolumeRatio
        self.deviationVsLast = deviationVsLast
        self.avgADV = avgADV
        self.extremeThreshold = extremeThreshold
    }
}

public enum SRPANDirection: String, Sendable {
    case up = "UP"
    case down = "DOWN"
    case notApplicable = "N/A"
}

/// SRPAN (SPEC §9). `grpan1`/`grpan2` are exact prices in ticks (whole cents); `spread` in dollars.
public struct SRPANMetrics: Sendable, Equatable {
    public var srpanScore: Double = 0
    public var grpan1: Int64? = nil
    public var grpan1Conf: Double = 0
    public var grpan2: Int64? = nil
    public var grpan2Conf: Double = 0
    public var spread: Double = 0
    public var direction: SRPANDirection = .notApplicable
    public var balanceScore: Double = 0
    public var totalScore: Double = 0
    public var spreadScore: Double = 0

    public init() {}

    public static let empty = SRPANMetrics()
}

/// Everything SPEC §10 reports for one symbol. Fixed-size: building one allocates nothing
/// (except `topPrices` in detail mode).
public struct SymbolMetrics: Sendable, Equatable {
    /// The as-of instant used (nanoseconds); nil when the symbol has no history.
    public var asOf: Int64?
    public var lastPrice: Int64?
    public var tickCount: Int
    public var god: Double?
    public var rod: Double?
    public var grpan: InlineArray<7, GRPANWindowMetrics>
    public var rwvap: InlineArray<3, RWVAPWindowMetrics>
    public var srpan: SRPANMetrics

    public init(
        asOf: Int64?, lastPrice: Int64?, tickCount: Int, god: Double?, rod: Double?,
        grpan: InlineArray<7, GRPANWindowMetrics>, rwvap: InlineArray<3, RWVAPWindowMetrics>,
        srpan: SRPANMetrics
    ) {
        self.asOf = asOf
        self.lastPrice = lastPrice
        self.tickCount = tickCount
        self.god = god
        self.rod = rod
        self.grpan = grpan
        self.rwvap = rwvap
        self.srpan = srpan
    }

    public subscript(window: GRPANWindow) -> GRPANWindowMetrics { grpan[window.rawValue] }
    public subscript(window: RWVAPWindow) -> RWVAPWindowMetrics { rwvap[window.rawValue] }

    public static func == (a: SymbolMetrics, b: SymbolMetrics) -> Bool {
        guard a.asOf == b.asOf, a.lastPrice == b.lastPrice, a.tickCount == b.tickCount,
            a.god == b.god, a.rod == b.rod, a.srpan == b.srpan
        else { return false }
        for i in 0..<7 where a.grpan[i] != b.grpan[i] { return false }
        for i in 0..<3 where a.rwvap[i] != b.rwvap[i] { return false }
        return true
    }
}

/// When "now" is for a computation (SPEC §4), once `live` has been resolved.
public enum AsOf: Sendable, Equatable {
    /// Per symbol, the time of its most recent eligible print.
    case last
    /// The same instant (nanoseconds) for every symbol.
    case instant(Int64)
}
