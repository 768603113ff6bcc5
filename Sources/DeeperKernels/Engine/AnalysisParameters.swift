/// Everything a kernel needs besides the prints: the rules, the calendar built from them, and
/// whether to produce detail-mode extras (`top_prices`).
public struct AnalysisParameters: Sendable {
    public let rules: Rules
    public let calendar: TradingCalendar
    public var detail: Bool

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
