/// Everything a kernel needs besides the prints: the rules, the calendar built from them, and
/// whether to produce detail-mode extras (`top_prices`).
public struct AnalysisParameters: Sendable {
    public let rules: Rules
    public let calendar: TradingCalendar
    public var detail: Bool

    public init(rules: Rules = .default, detail: Bool = false) {
        self.rules = rules
        self.calendar = TradingCalendar(extraClosures: rules.extraClosures)
        self.detail = detail
    }
}
