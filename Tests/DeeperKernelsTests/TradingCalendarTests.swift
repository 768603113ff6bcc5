import Testing

@testable import DeeperKernels

// Built once: the table takes a few milliseconds in a debug build.
private let calendar = TradingCalendar(extraClosures: Rules.default.extraClosures)

/// `YYYY-MM-DD` → date; traps on a typo so a bad literal cannot pass silently.
private func day(_ text: String) -> CivilDate {
    guard let d = CivilDate(iso: text) else { fatalError("bad date literal \(text)") }
    return d
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` → nanoseconds since the epoch. Written here rather than taken
/// from DeeperData so the calendar's tests depend on nothing but the kernels.
private func utc(_ text: String) -> Int64 {
    let parts = text.split(separator: "T")
    guard parts.count == 2, parts[1].hasSuffix("Z") else { fatalError("bad instant literal \(text)") }
    let date = day(String(parts[0]))
    let clock = parts[1].dropLast()
    let hms = clock.split(separator: ".", omittingEmptySubsequences: false)
    let fields = hms[0].split(separator: ":").map { Int64($0)! }
    var fraction: Int64 = 0
    if hms.count == 2 {
        let digits = String(hms[1])
        fraction = Int64(digits + String(repeating: "0", count: 9 - digits.count))!
    }
    return Int64(date.daysSinceEpoch) * Nanos.perDay + fields[0] * Nanos.perHour + fields[1] * Nanos.perMinute
        + fields[2] * Nanos.perSecond + fraction
}

/// Days of a year, ascending.
private func days(of year: Int) -> [CivilDate] {
    let first = CivilDate(year: year, month: 1, day: 1).daysSinceEpoch
    let end = CivilDate(year: year + 1, month: 1, day: 1).daysSinceEpoch
    return (first..<end).map { CivilDate(daysSinceEpoch: $0) }
}

// MARK: - An independent reference

/// Easter Sunday by Carter's method, valid 1900–2099: a different algorithm from the
/// calendar's, so that agreement means something.
private func carterEaster(_ year: Int) -> CivilDate {
    var b = 225 - 11 * (year % 19)
    while b > 50 { b -= 30 }
    if b > 48 { b -= 1 }
    let e = (year + year / 4 + b + 1) % 7
    let q = b + 7 - e
    return q < 32
        ? CivilDate(year: year, month: 3, day: q) : CivilDate(year: year, month: 4, day: q - 31)
}

/// SPEC §3's regular holidays of `year` (2007–2099), built date by date from the wording of the
/// rules by scanning months, not by the calendar's arithmetic.
private func referenceHolidays(_ year: Int) -> Set<CivilDate> {
    func month(_ m: Int) -> [CivilDate] {
        (1...CivilDate.daysIn(year: year, month: m)).map { CivilDate(year: year, month: m, day: $0) }
    }
    func nth(_ n: Int, _ weekday: Int, _ m: Int) -> CivilDate { month(m).filter { $0.weekday == weekday }[n - 1] }
    func last(_ weekday: Int, _ m: Int) -> CivilDate { month(m).filter { $0.weekday == weekday }.last! }
    func observed(_ m: Int, _ d: Int, saturdayToFriday: Bool = true) -> CivilDate? {
        let date = CivilDate(year: year, month: m, day: d)
        switch date.weekday {
        case 6: return saturdayToFriday ? date.adding(days: -1) : nil
        case 0: return date.adding(days: 1)
        default: return date
        }
    }
    let monday = 1
    let thursday = 4
    var result: [CivilDate?] = [
        observed(1, 1, saturdayToFriday: false),
        nth(3, monday, 1),
        nth(3, monday, 2),
        carterEaster(year).adding(days: -2),
        last(monday, 5),
        observed(7, 4),
        nth(1, monday, 9),
        nth(4, thursday, 11),
        observed(12, 25),
    ]
    if year >= 2022 { result.append(observed(6, 19)) }
    return Set(result.compactMap { $0 })
}

// MARK: - Holidays

struct TradingCalendarHolidayTests {
    /// NYSE's published full-day closures, year by year.
    static let knownClosures: [(Int, [String])] = [
        // Ford mourning on 2007-01-02.
        (
            2007,
            [
                "2007-01-01", "2007-01-02", "2007-01-15", "2007-02-19", "2007-04-06", "2007-05-28",
                "2007-07-04", "2007-09-03", "2007-11-22", "2007-12-25",
            ]
        ),
        // Independence Day on a Sunday → Monday; Christmas on a Saturday → Friday.
        (
            2010,
            [
                "2010-01-01", "2010-01-18", "2010-02-15", "2010-04-02", "2010-05-31", "2010-07-05",
                "2010-09-06", "2010-11-25", "2010-12-24",
            ]
        ),
        // New Year's Day on a Sunday → Monday; Hurricane Sandy.
        (
            2012,
            [
                "2012-01-02", "2012-01-16", "2012-02-20", "2012-04-06", "2012-05-28", "2012-07-04",
                "2012-09-03", "2012-10-29", "2012-10-30", "2012-11-22", "2012-12-25",
            ]
        ),
        // G. H. W. Bush mourning.
        (
            2018,
            [
                "2018-01-01", "2018-01-15", "2018-02-19", "2018-03-30", "2018-05-28", "2018-07-04",
                "2018-09-03", "2018-11-22", "2018-12-05", "2018-12-25",
            ]
        ),
        // No Juneteenth yet; New Year's Day 2022 (a Saturday) is not moved into 2021.
        (
            2021,
            [
                "2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05",
                "2021-09-06", "2021-11-25", "2021-12-24",
            ]
        ),
        // New Year's Day on a Saturday: not observed; Juneteenth on a Sunday → Monday.
        (
            2022,
            [
                "2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04",
                "2022-09-05", "2022-11-24", "2022-12-26",
            ]
        ),
        (
            2023,
            [
                "2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
                "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25",
            ]
        ),
        (
            2024,
            [
                "2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
                "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25",
            ]
        ),
        // Carter mourning on 2025-01-09.
        (
            2025,
            [
                "2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26",
                "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
            ]
        ),
        // Independence Day on a Saturday → Friday.
        (
            2026,
            [
                "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
                "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
            ]
        ),
        // Juneteenth on a Saturday → Friday; July 4 Sunday → Monday; Christmas Saturday → Friday.
        (
            2027,
            [
                "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18",
                "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
            ]
        ),
        // New Year's Day on a Saturday again: no New Year holiday at all.
        (
            2028,
            [
                "2028-01-17", "2028-02-21", "2028-04-14", "2028-05-29", "2028-06-19", "2028-07-04",
                "2028-09-04", "2028-11-23", "2028-12-25",
            ]
        ),
    ]

    @Test(arguments: knownClosures)
    func closuresMatchNYSE(year: Int, expected: [String]) {
        #expect(calendar.closures(in: year).map(\.description) == expected)
        for text in expected {
            #expect(!calendar.isTradingDay(day(text)), "\(text)")
        }
    }

    /// Trading days per year, derived by hand from the lists above: weekdays of the year minus
    /// its weekday closures (e.g. 2024: 262 − 10; 2025: 261 − 11; 2023: 260 − 10).
    @Test(arguments: [
        (2007, 251), (2010, 252), (2012, 250), (2018, 251), (2021, 252), (2022, 251), (2023, 250),
        (2024, 252), (2025, 250), (2026, 251), (2027, 251), (2028, 251),
    ])
    func tradingDayCount(year: Int, expected: Int) {
        #expect(days(of: year).filter { calendar.isTradingDay($0) }.count == expected)
    }

    @Test func saturdayNewYearIsNotMovedIntoTheOldYear() {
        // 2022-01-01 and 2011-01-01 were Saturdays; the NYSE traded on the Fridays before.
        #expect(calendar.isTradingDay(day("2021-12-31")))
        #expect(calendar.isTradingDay(day("2010-12-31")))
        #expect(calendar.isTradingDay(day("2022-01-03")))
        #expect(calendar.isTradingDay(day("2011-01-03")))
    }

    @Test func juneteenthOnlyFrom2022() {
        #expect(calendar.isTradingDay(day("2021-06-18")))  // June 19, 2021 was a Saturday
        #expect(calendar.isTradingDay(day("2020-06-19")))  // a Friday
        #expect(!calendar.isTradingDay(day("2022-06-20")))
        #expect(calendar.isTradingDay(day("2022-06-17")))
        #expect(!calendar.isTradingDay(day("2033-06-20")))  // June 19, 2033 is a Sunday
    }

    @Test(arguments: [
        "2008-03-21", "2011-04-22", "2015-04-03", "2016-03-25", "2019-04-19", "2020-04-10", "2021-04-02",
        "2022-04-15", "2023-04-07", "2024-03-29", "2025-04-18", "2026-04-03", "2027-03-26", "2038-04-23",
    ])
    func goodFriday(_ text: String) {
        let goodFriday = day(text)
        #expect(TradingCalendar.easterSunday(of: goodFriday.year) == goodFriday.adding(days: 2))
        #expect(TradingCalendar.holidays(in: goodFriday.year).contains(goodFriday))
        #expect(!calendar.isTradingDay(goodFriday))
        #expect(calendar.isTradingDay(goodFriday.adding(days: -1)))
    }

    @Test func easterAgreesWithCartersMethod() {
        for year in 1900...2099 {
            #expect(TradingCalendar.easterSunday(of: year) == carterEaster(year), "\(year)")
        }
    }

    @Test func holidaysMatchAReferenceBuiltFromTheRules() {
        let extras = Set(Rules.default.extraClosures)
        for year in 2007...2099 {
            let reference = referenceHolidays(year)
            #expect(Set(TradingCalendar.holidays(in: year)) == reference, "\(year)")
            let closures = reference.union(extras.filter { $0.year == year })
            let expected = days(of: year).filter { $0.weekday != 0 && $0.weekday != 6 && !closures.contains($0) }
            let actual = days(of: year).filter { calendar.isTradingDay($0) }
            #expect(actual == expected, "\(year)")
        }
    }

    @Test func extraClosuresAreConfigurable() {
        let none = TradingCalendar(extraClosures: [])
        #expect(none.isTradingDay(day("2025-01-09")))
        #expect(none.isTradingDay(day("2012-10-29")))
        #expect(none.closures(in: 2025).count == 10)

        // A Tuesday, plus a Saturday and a holiday, which must not count twice.
        let custom = TradingCalendar(extraClosures: [day("2026-03-10"), day("2026-03-07"), day("2026-07-03")])
        #expect(!custom.isTradingDay(day("2026-03-10")))
        #expect(custom.isTradingDay(day("2025-01-09")))
        #expect(custom.closures(in: 2026).count == 11)
        // The table follows: two trading days back from Wednesday is Monday.
        let wednesday = utc("2026-03-11T15:00:00Z")
        #expect(Nanos.iso8601(custom.windowStart(tradingDays: 2, at: wednesday)) == "2026-03-09T13:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 2, at: wednesday)) == "2026-03-10T13:30:00Z")
    }

    @Test func nextAndPreviousTradingDay() {
        #expect(calendar.previousTradingDay(before: day("2026-07-06")) == day("2026-07-02"))
        #expect(calendar.nextTradingDay(after: day("2026-07-02")) == day("2026-07-06"))
        #expect(calendar.nextTradingDay(after: day("2012-10-26")) == day("2012-10-31"))
        #expect(calendar.previousTradingDay(before: day("2012-10-31")) == day("2012-10-26"))
        #expect(calendar.nextTradingDay(after: day("2026-03-09")) == day("2026-03-10"))
    }
}

// MARK: - Opens and daylight-saving time

struct TradingCalendarOpenTests {
    @Test(arguments: [
        // 2026: DST 03-08 → 11-01 (second Sunday of March, first Sunday of November).
        ("2026-03-06", "2026-03-06T14:30:00Z"),
        ("2026-03-08", "2026-03-08T13:30:00Z"),  // the switch Sunday: 09:30 is after 02:00
        ("2026-03-09", "2026-03-09T13:30:00Z"),
        ("2026-10-30", "2026-10-30T13:30:00Z"),
        ("2026-11-01", "2026-11-01T14:30:00Z"),
        ("2026-11-02", "2026-11-02T14:30:00Z"),
        // 2021: March 1 a Monday, so DST starts 03-14; ends 11-07.
        ("2021-03-12", "2021-03-12T14:30:00Z"),
        ("2021-03-15", "2021-03-15T13:30:00Z"),
        ("2021-11-05", "2021-11-05T13:30:00Z"),
        ("2021-11-08", "2021-11-08T14:30:00Z"),
        // 2007, the first year of the current rule: DST 03-11 → 11-04.
        ("2007-03-09", "2007-03-09T14:30:00Z"),
        ("2007-03-12", "2007-03-12T13:30:00Z"),
        ("2007-10-29", "2007-10-29T13:30:00Z"),  // standard time under the old rule
        ("2007-11-02", "2007-11-02T13:30:00Z"),
        ("2007-11-05", "2007-11-05T14:30:00Z"),
        // 2006, the last year of the 1987 rule: DST 04-02 → 10-29.
        ("2006-03-13", "2006-03-13T14:30:00Z"),  // daylight time under the new rule
        ("2006-03-31", "2006-03-31T14:30:00Z"),
        ("2006-04-03", "2006-04-03T13:30:00Z"),
        ("2006-10-27", "2006-10-27T13:30:00Z"),
        ("2006-10-30", "2006-10-30T14:30:00Z"),
        // 1990: DST 04-01 → 10-28.
        ("1990-03-30", "1990-03-30T14:30:00Z"),
        ("1990-04-02", "1990-04-02T13:30:00Z"),
        ("1990-10-26", "1990-10-26T13:30:00Z"),
        ("1990-10-29", "1990-10-29T14:30:00Z"),
        // Plain summer and winter.
        ("2025-07-15", "2025-07-15T13:30:00Z"),
        ("2025-01-15", "2025-01-15T14:30:00Z"),
    ])
    func openInstant(_ date: String, _ expected: String) {
        #expect(Nanos.iso8601(calendar.openInstant(of: day(date))) == expected)
    }
}

// MARK: - Anchor days, windows and the session

struct TradingCalendarLookupTests {
    @Test func anchorDay() {
        // Monday 2026-03-09 (EDT) before, at and just before the open: Friday 03-06 was EST.
        #expect(calendar.anchorDay(at: utc("2026-03-09T13:00:00Z")) == day("2026-03-06"))
        #expect(calendar.anchorDay(at: utc("2026-03-09T13:29:59.999999999Z")) == day("2026-03-06"))
        #expect(calendar.anchorDay(at: utc("2026-03-09T13:30:00Z")) == day("2026-03-09"))
        #expect(calendar.anchorDay(at: utc("2026-03-09T22:00:00Z")) == day("2026-03-09"))
        // Friday evening local is already Saturday in UTC.
        #expect(calendar.anchorDay(at: utc("2026-03-07T04:30:00Z")) == day("2026-03-06"))
        // Saturday and Sunday.
        #expect(calendar.anchorDay(at: utc("2026-03-07T17:00:00Z")) == day("2026-03-06"))
        #expect(calendar.anchorDay(at: utc("2026-03-08T17:00:00Z")) == day("2026-03-06"))
        // A holiday (Independence Day observed on Friday 2026-07-03) and the Monday after.
        #expect(calendar.anchorDay(at: utc("2026-07-03T16:00:00Z")) == day("2026-07-02"))
        #expect(calendar.anchorDay(at: utc("2026-07-06T13:00:00Z")) == day("2026-07-02"))
        // Good Friday.
        #expect(calendar.anchorDay(at: utc("2026-04-03T16:00:00Z")) == day("2026-04-02"))
        // An extra closure: the two Sandy days.
        #expect(calendar.anchorDay(at: utc("2012-10-30T16:00:00Z")) == day("2012-10-26"))
    }

    @Test func anchorDayAtTheEdgesOfTheTable() {
        // 1990-01-01 was a Monday holiday, so the first tabulated open is 1990-01-02 at 14:30Z.
        #expect(calendar.anchorDay(at: .min) == nil)
        #expect(calendar.anchorDay(at: 0) == nil)
        #expect(calendar.anchorDay(at: utc("1990-01-02T14:29:59.999999999Z")) == nil)
        #expect(calendar.anchorDay(at: utc("1990-01-02T14:30:00Z")) == day("1990-01-02"))
        // The table reaches the end of Int64 time (2262-04-11).
        let lastDay = calendar.previousTradingDay(before: day("2262-04-12"))
        #expect(calendar.anchorDay(at: .max) == lastDay)
        // No seam around 2200, where a shorter table would have stopped.
        let lastOf2199 = calendar.previousTradingDay(before: day("2200-01-01"))
        #expect(calendar.anchorDay(at: utc("2199-12-31T23:00:00Z")) == lastOf2199)
        #expect(calendar.anchorDay(at: utc("2200-01-06T16:00:00Z")) == day("2200-01-06"))  // a Monday
    }

    @Test func windowStartAcrossAHolidayWeekend() {
        // Monday 2026-07-06 at noon EDT; Friday 07-03 was a holiday.
        let t = utc("2026-07-06T16:00:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 1, at: t)) == "2026-07-06T13:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 2, at: t)) == "2026-07-02T13:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 3, at: t)) == "2026-07-01T13:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 5, at: t)) == "2026-06-29T13:30:00Z")
    }

    @Test func windowStartAfterMLKDay() {
        // Tuesday 2026-01-20 at 10:00 EST; Monday 01-19 was a holiday.
        let t = utc("2026-01-20T15:00:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 1, at: t)) == "2026-01-20T14:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 3, at: t)) == "2026-01-15T14:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 5, at: t)) == "2026-01-13T14:30:00Z")
        // Before that day's open the anchor is Friday 01-16.
        let early = utc("2026-01-20T14:00:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 1, at: early)) == "2026-01-16T14:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 3, at: early)) == "2026-01-14T14:30:00Z")
    }

    @Test func windowStartAcrossTheDaylightSwitch() {
        // Tuesday 2026-03-10 (EDT): three days back is Friday 03-06, still EST.
        let t = utc("2026-03-10T15:00:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 3, at: t)) == "2026-03-06T14:30:00Z")
        // Monday after Good Friday 2026: two days back is Thursday.
        let afterEaster = utc("2026-04-06T14:00:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 2, at: afterEaster)) == "2026-04-02T13:30:00Z")
    }

    @Test func windowStartAtTheEdgesOfTheTable() {
        #expect(calendar.windowStart(tradingDays: 1, at: .min) == .min)
        #expect(calendar.windowStart(tradingDays: 3, at: utc("1989-12-29T20:00:00Z")) == .min)
        // Reaching back past the first tabulated day clamps to its open.
        let t = utc("1990-01-03T15:00:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 2, at: t)) == "1990-01-02T14:30:00Z")
        #expect(Nanos.iso8601(calendar.windowStart(tradingDays: 5, at: t)) == "1990-01-02T14:30:00Z")
        let lastDay = calendar.previousTradingDay(before: day("2262-04-12"))
        #expect(calendar.windowStart(tradingDays: 1, at: .max) == calendar.openInstant(of: lastDay))
        let dayBefore = calendar.previousTradingDay(before: lastDay)
        #expect(calendar.windowStart(tradingDays: 2, at: .max) == calendar.openInstant(of: dayBefore))
    }

    @Test func longWindowMatchesSteppingDayByDay() {
        let t = utc("2025-06-02T18:00:00Z")
        var d = day("2025-06-02")
        for n in 1...1000 {
            #expect(calendar.windowStart(tradingDays: n, at: t) == calendar.openInstant(of: d), "n = \(n)")
            d = calendar.previousTradingDay(before: d)
        }
    }

    @Test func sessionOpenOnADaylightTimeDay() {
        // Monday 2026-03-09, EDT: 09:30–16:00 local is 13:30–20:00Z.
        #expect(!calendar.isSessionOpen(at: utc("2026-03-09T13:29:59.999Z")))
        #expect(calendar.isSessionOpen(at: utc("2026-03-09T13:30:00Z")))
        #expect(calendar.isSessionOpen(at: utc("2026-03-09T19:59:59Z")))
        #expect(calendar.isSessionOpen(at: utc("2026-03-09T19:59:59.999999999Z")))
        #expect(!calendar.isSessionOpen(at: utc("2026-03-09T20:00:00Z")))
    }

    @Test func sessionOpenOnAStandardTimeDay() {
        // Friday 2026-03-06, EST: 09:30–16:00 local is 14:30–21:00Z.
        #expect(!calendar.isSessionOpen(at: utc("2026-03-06T13:30:00Z")))
        #expect(!calendar.isSessionOpen(at: utc("2026-03-06T14:29:59.999Z")))
        #expect(calendar.isSessionOpen(at: utc("2026-03-06T14:30:00Z")))
        #expect(calendar.isSessionOpen(at: utc("2026-03-06T20:59:59Z")))
        #expect(!calendar.isSessionOpen(at: utc("2026-03-06T21:00:00Z")))
    }

    @Test func sessionClosedOnWeekendsHolidaysAndBeforeTheTable() {
        #expect(!calendar.isSessionOpen(at: utc("2026-03-07T16:00:00Z")))  // Saturday noon EST
        #expect(!calendar.isSessionOpen(at: utc("2026-03-08T16:00:00Z")))  // Sunday
        #expect(!calendar.isSessionOpen(at: utc("2026-07-03T16:00:00Z")))  // holiday, noon EDT
        #expect(!calendar.isSessionOpen(at: utc("2025-01-09T16:00:00Z")))  // Carter mourning
        #expect(calendar.isSessionOpen(at: utc("2025-01-10T16:00:00Z")))
        #expect(!calendar.isSessionOpen(at: .min))
        #expect(!calendar.isSessionOpen(at: utc("1989-12-29T16:00:00Z")))
    }

    /// Every day 2007–2099: the table behind the lookups agrees with `isTradingDay` (itself
    /// checked against the reference above), and weekends never trade.
    @Test func tableAgreesWithIsTradingDay() {
        var problems: [String] = []
        var previous = calendar.previousTradingDay(before: day("2007-01-01"))
        let first = day("2007-01-01").daysSinceEpoch
        let end = day("2100-01-01").daysSinceEpoch
        var tradingDays = 0
        for n in first..<end {
            let d = CivilDate(daysSinceEpoch: n)
            let open = calendar.openInstant(of: d)
            let trading = calendar.isTradingDay(d)
            if trading && (d.weekday == 0 || d.weekday == 6) { problems.append("\(d): weekend trades") }
            if trading {
                tradingDays += 1
                if calendar.anchorDay(at: open) != d { problems.append("\(d): not its own anchor at its open") }
                if calendar.anchorDay(at: open - 1) != previous { problems.append("\(d): anchor before open") }
                if calendar.windowStart(tradingDays: 2, at: open) != calendar.openInstant(of: previous) {
                    problems.append("\(d): 2-day window")
                }
                if !calendar.isSessionOpen(at: open) { problems.append("\(d): session shut at the open") }
                previous = d
            } else {
                if calendar.anchorDay(at: open) != previous { problems.append("\(d): closed day is an anchor") }
                if calendar.isSessionOpen(at: open + Nanos.perHour) { problems.append("\(d): session open") }
            }
            if problems.count > 20 { break }
        }
        #expect(problems.isEmpty, "\(problems)")
        // And the table holds exactly those days, no more.
        let low = calendar.lastOpenIndex(atOrBefore: utc("2007-01-01T00:00:00Z"))!
        let high = calendar.lastOpenIndex(atOrBefore: utc("2100-01-01T00:00:00Z"))!
        #expect(high - low == tradingDays)
    }
}
