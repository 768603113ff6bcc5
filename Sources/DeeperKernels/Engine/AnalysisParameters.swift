/// Everything a kernel needs besides the prints: the rules, the calendar built from them, and
/// whether to produce detail-mode extras (`top_prices`).
public struct AnalysisParameters: Sendable {
    /// The rules every metric follows.
    public let rules: Rules
    /// The NYSE calendar under `rules.extraClosures` (SPEC §3).
    public let calendar: TradingCalendar
    /// Whether GRPAN windows report `top_prices` (`deeper analyze --detail`).
    public var detail: Bool

    /// Parameters for `rules`, building (or sharing) the calendar they imply.
    ///
    /// - Parameters:
    ///   - rules: the rules; the defaults of SPEC §11 unless given.
    ///   - detail: whether to report detail-mode `top_prices`.
    public init(rules: Rules = .default, detail: Bool = false) {
        self.rules = rules
        // The calendar table takes milliseconds to build: share the one for the default closures.
        self.calendar =
            rules.extraClosures == Rules.default.extraClosures
            ? Self.defaultCalendar : TradingCalendar(extraClosures: rules.extraClosures)
        self.detail = detail
    }

    private static let defaultCalendar = TradingCalendar(extraClosures: Rules.default.extraClosures)
}
