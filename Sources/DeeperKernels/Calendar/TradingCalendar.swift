/// The NYSE trading calendar of SPEC §3: trading days, 09:30 America/New_York opens and the
/// trading-day window starts the kernels use.
///
/// Built once per rules value (the extra closures are configurable); lookups are binary
/// searches over a precomputed table of session opens.
///
/// The table holds the open of every trading day from ``firstTabulatedDay`` (1990-01-01) to
/// the last day whose open fits in an `Int64` instant (2262-04-11), so every instant after the
/// first tabulated open has an answer from the table. Instants before the first tabulated open
/// (1990-01-02 14:30Z) have no anchor day: ``anchorDay(at:)`` is nil, ``windowStart(tradingDays:at:)``
/// is `Int64.min` ("everything is visible") and ``isSessionOpen(at:)`` is false.
///
/// The holiday rules are SPEC §3's; they match the NYSE's real full-day closures from 2007 on
/// (with the default extra closures). Before 2007 they are only an approximation of history
/// (no 2001 or 2004 closures, for example), which no SPEC figure depends on.
///
/// Copies are cheap: the table is an array, shared copy-on-write.
public struct TradingCalendar: Sendable {
    /// The first day of the open table. Instants before its first trading day's open have no
    /// anchor day.
    public static let firstTabulatedDay = CivilDate(year: 1990, month: 1, day: 1)

    /// Length of the regular session, 09:30 to 16:00.
    static let sessionLength: Int64 = 6 * Nanos.perHour + 30 * Nanos.perMinute

    /// UTC time of the 09:30 local open: 13:30 under EDT (UTC−4), 14:30 under EST (UTC−5).
    static let openUTCDaylight: Int64 = 13 * Nanos.perHour + 30 * Nanos.perMinute
    static let openUTCStandard: Int64 = 14 * Nanos.perHour + 30 * Nanos.perMinute

    /// The open instant of every trading day of the table, ascending.
    let opens: [Int64]

    /// The extra closures, as days since the epoch.
    let extraClosureDays: Set<Int>

    /// Builds the calendar: SPEC §3's holiday rules plus `extraClosures` (pass
    /// `Rules.extraClosures`). Extra closures on weekends or regular holidays change nothing.
    ///
    /// Takes a few milliseconds (about 68,000 trading days are tabulated), so build it once
    /// per rules value, not per lookup.
    public init(extraClosures: [CivilDate]) {
        extraClosureDays = Set(extraClosures.map(\.daysSinceEpoch))
        let first = Self.firstTabulatedDay.daysSinceEpoch
        // The last day whose 14:30Z open is still ≤ Int64.max (23:47Z that day).
        let last = Int(Int64.max / Nanos.perDay)
        var opens: [Int64] = []
        opens.reserveCapacity((last - first + 1) * 252 / 365 + 8)
        for day in first...last {
            let date = CivilDate(daysSinceEpoch: day)
            if Self.isTradingDay(date, extraClosureDays: extraClosureDays) {
                opens.append(Self.openInstant(of: date))
            }
        }
        self.opens = opens
    }

    // MARK: - Days

    /// Whether `date` is an NYSE trading day (weekday, not a holiday, not an extra closure).
    ///
    /// Answered from the rules, not the table, so it holds for any date.
    public func isTradingDay(_ date: CivilDate) -> Bool {
        Self.isTradingDay(date, extraClosureDays: extraClosureDays)
    }

    /// The first trading day strictly after `date`.
    public func nextTradingDay(after date: CivilDate) -> CivilDate {
        var d = date.adding(days: 1)
        while !isTradingDay(d) { d = d.adding(days: 1) }
        return d
    }

    /// The last trading day strictly before `date`.
    public func previousTradingDay(before date: CivilDate) -> CivilDate {
        var d = date.adding(days: -1)
        while !isTradingDay(d) { d = d.adding(days: -1) }
        return d
    }

    /// Every full-day closure on a weekday of `year`, regular holidays and extra closures
    /// together, ascending.
    public func closures(in year: Int) -> [CivilDate] {
        Self.weekdays(of: year).filter { !isTradingDay($0) }
    }

    /// The regular NYSE full-day holidays of `year` (SPEC §3, without the extra closures), as
    /// observed, ascending. A New Year's Day on a Saturday is not observed and so not listed.
    public static func holidays(in year: Int) -> [CivilDate] {
        weekdays(of: year).filter { isRegularHoliday($0) }
    }

    /// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm,
    /// also known as Meeus/Jones/Butcher).
    public static func easterSunday(of year: Int) -> CivilDate {
        let a = year % 19  // place in the Metonic cycle
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30  // paschal full moon, in days after March 21
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7  // days on from the full moon to a Sunday
        let m = (a + 11 * h + 22 * l) / 451
        let n = h + l - 7 * m + 114
        return CivilDate(year: year, month: n / 31, day: n % 31 + 1)
    }

    // MARK: - Instants

    /// The 09:30 America/New_York open of `date`, as nanoseconds since the epoch (UTC).
    ///
    /// Defined for any date, trading day or not, whose open fits in an `Int64` instant
    /// (1677-09-22 … 2262-04-11); it traps outside that range. US daylight-saving rules are
    /// applied as SPEC §3 gives them: from 2007 the second Sunday of March to the first Sunday
    /// of November, before that the first Sunday of April to the last Sunday of October (that
    /// rule is also used, inaccurately, for years before 1987, which no lookup reaches).
    public func openInstant(of date: CivilDate) -> Int64 { Self.openInstant(of: date) }

    /// The latest trading day whose 09:30 open is ≤ `t` (SPEC §3 "anchor day"); nil when `t`
    /// is before the first tabulated open.
    public func anchorDay(at t: Int64) -> CivilDate? {
        guard let i = lastOpenIndex(atOrBefore: t) else { return nil }
        // Opens are 13:30Z or 14:30Z, so the UTC day of an open is its local day.
        return CivilDate(daysSinceEpoch: Int(opens[i] / Nanos.perDay))
    }

    /// `start_of(n trading days)` at `t`: the open of the trading day n−1 trading days before
    /// the anchor day (n = 1 → the anchor day's own open).
    ///
    /// `Int64.min` when `t` has no anchor day (before the first tabulated open), so that a
    /// window filter `time >= start` keeps everything. A window reaching back past the first
    /// tabulated trading day starts at that day's open. `n` must be at least 1.
    public func windowStart(tradingDays n: Int, at t: Int64) -> Int64 {
        precondition(n >= 1, "a window spans at least one trading day")
        guard let i = lastOpenIndex(atOrBefore: t) else { return .min }
        return opens[max(0, i - (n - 1))]
    }

    /// Whether the regular session (09:30–16:00 America/New_York on a trading day) is open at `t`.
    /// 09:30 is inside, 16:00 is not.
    public func isSessionOpen(at t: Int64) -> Bool {
        guard let i = lastOpenIndex(atOrBefore: t) else { return false }
        // Clocks change on Sundays at 02:00, never inside a session, so the close is always
        // the open plus 6½ hours.
        return t - opens[i] < Self.sessionLength
    }

    /// `windowStart(tradingDays:at:)` from a day index `lastOpenIndex` already found for the
    /// same instant (nil: before the first open), so one lookup serves every window of a symbol.
    @inline(__always)
    func windowStart(tradingDays n: Int, anchorIndex i: Int?) -> Int64 {
        guard let i else { return .min }
        return opens[max(0, i - (n - 1))]
    }

    /// `lastOpenIndex(atOrBefore:)`, trying `hint` first: consecutive symbols of one batch mostly
    /// end on the same trading day, so the answer is usually the last one. Any `hint` is safe (it
    /// is checked, and replaced by the answer).
    @inline(__always)
    func lastOpenIndex(atOrBefore t: Int64, hint: inout Int) -> Int? {
        let h = hint
        if h >= 0 && h < opens.count && opens[h] <= t && (h + 1 == opens.count || opens[h + 1] > t) { return h }
        let found = lastOpenIndex(atOrBefore: t)
        hint = found ?? -1
        return found
    }

    // MARK: - Internals

    /// Index of the last open ≤ `t`, nil when every open is after `t`.
    func lastOpenIndex(atOrBefore t: Int64) -> Int? {
        // Find the first open > t (upper bound); the answer is the one before it.
        var low = 0
        var high = opens.count
        while low < high {
            let mid = low + (high - low) / 2
            if opens[mid] <= t {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low == 0 ? nil : low - 1
    }

    static func isTradingDay(_ date: CivilDate, extraClosureDays: Set<Int>) -> Bool {
        let weekday = date.weekday
        if weekday == 0 || weekday == 6 { return false }
        if isRegularHoliday(date) { return false }
        return !extraClosureDays.contains(date.daysSinceEpoch)
    }

    /// Whether `date`, a weekday, is one of SPEC §3's regular holidays as observed.
    ///
    /// Written as a test on the date itself, rather than by listing the year's holidays, so the
    /// table can be built without allocating per day.
    static func isRegularHoliday(_ date: CivilDate) -> Bool {
        let weekday = date.weekday
        let day = date.day
        let monday = 1
        let thursday = 4
        let friday = 5
        // A fixed-date holiday: on the day itself when a weekday, moved to the Friday before
        // from a Saturday and to the Monday after from a Sunday.
        func fixed(_ holiday: Int) -> Bool {
            day == holiday || (day == holiday - 1 && weekday == friday) || (day == holiday + 1 && weekday == monday)
        }
        switch date.month {
        case 1:
            // New Year's Day. A Saturday one would move to December 31, which the December case
            // leaves alone: SPEC, like the NYSE, does not observe it (the Friday ends the year).
            if fixed(1) { return true }
            return weekday == monday && (15...21).contains(day)  // Martin Luther King Jr. Day
        case 2:
            return weekday == monday && (15...21).contains(day)  // Washington's Birthday
        case 3, 4:
            guard weekday == friday else { return false }
            return date.adding(days: 2) == easterSunday(of: date.year)  // Good Friday
        case 5:
            return weekday == monday && day >= 25  // Memorial Day, the last Monday
        case 6:
            return date.year >= 2022 && fixed(19)  // Juneteenth
        case 7:
            return fixed(4)  // Independence Day
        case 9:
            return weekday == monday && day <= 7  // Labor Day
        case 11:
            return weekday == thursday && (22...28).contains(day)  // Thanksgiving
        case 12:
            return fixed(25)  // Christmas
        default:
            return false
        }
    }

    static func openInstant(of date: CivilDate) -> Int64 {
        let midnight = Int64(date.daysSinceEpoch) * Nanos.perDay
        return midnight + (isDaylightTime(at0930On: date) ? openUTCDaylight : openUTCStandard)
    }

    /// Whether 09:30 local time on `date` falls in daylight time. Clocks change at 02:00, so
    /// 09:30 on the first Sunday of DST is already DST and 09:30 on the last is not.
    static func isDaylightTime(at0930On date: CivilDate) -> Bool {
        let start: CivilDate
        let end: CivilDate
        if date.year >= 2007 {
            start = nthWeekday(2, weekday: 0, year: date.year, month: 3)
            end = nthWeekday(1, weekday: 0, year: date.year, month: 11)
        } else {
            start = nthWeekday(1, weekday: 0, year: date.year, month: 4)
            end = lastWeekday(0, year: date.year, month: 10)
        }
        return start <= date && date < end
    }

    /// The `n`th `weekday` (0 = Sunday) of a month.
    static func nthWeekday(_ n: Int, weekday: Int, year: Int, month: Int) -> CivilDate {
        let first = CivilDate(year: year, month: month, day: 1)
        let offset = (weekday - first.weekday + 7) % 7
        return CivilDate(year: year, month: month, day: 1 + offset + 7 * (n - 1))
    }

    /// The last `weekday` (0 = Sunday) of a month.
    static func lastWeekday(_ weekday: Int, year: Int, month: Int) -> CivilDate {
        let last = CivilDate(year: year, month: month, day: CivilDate.daysIn(year: year, month: month))
        let offset = (last.weekday - weekday + 7) % 7
        return CivilDate(year: year, month: month, day: last.day - offset)
    }

    /// Monday–Friday of `year`, ascending.
    static func weekdays(of year: Int) -> [CivilDate] {
        let first = CivilDate(year: year, month: 1, day: 1).daysSinceEpoch
        let end = CivilDate(year: year + 1, month: 1, day: 1).daysSinceEpoch
        return (first..<end).map { CivilDate(daysSinceEpoch: $0) }.filter { $0.weekday != 0 && $0.weekday != 6 }
    }
}
