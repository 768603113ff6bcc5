/// Instants are `Int64` nanoseconds since 1970-01-01T00:00:00Z throughout Deeper: exact for
/// the 9 fraction digits SPEC §1.1 allows, and good for the years 1678–2261.
public enum Nanos {
    /// Nanoseconds in a millisecond.
    public static let perMillisecond: Int64 = 1_000_000
    /// Nanoseconds in a second.
    public static let perSecond: Int64 = 1_000_000_000
    /// Nanoseconds in a minute.
    public static let perMinute: Int64 = 60 * perSecond
    /// Nanoseconds in an hour.
    public static let perHour: Int64 = 60 * perMinute
    /// Nanoseconds in a day of 24 hours.
    public static let perDay: Int64 = 24 * perHour

    /// `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, fraction digits only as many as needed.
    public static func iso8601(_ t: Int64) -> String {
        let days = t >= 0 ? t / perDay : (t - perDay + 1) / perDay
        let rest = t - days * perDay
        let date = CivilDate(daysSinceEpoch: Int(days))
        let secondsOfDay = rest / perSecond
        var fraction = rest % perSecond
        var text = date.description + "T"
            + twoDigits(secondsOfDay / 3600) + ":" + twoDigits(secondsOfDay / 60 % 60) + ":"
            + twoDigits(secondsOfDay % 60)
        if fraction != 0 {
            var width = 9
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            var digits = String(fraction)
            while digits.count < width { digits = "0" + digits }
            text += "." + digits
        }
        return text + "Z"
    }

    private static func twoDigits(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}

/// A day of the proleptic Gregorian calendar, without a time zone.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, e.g. 2025.
    public var year: Int
    /// The month, 1…12.
    public var month: Int
    /// The day of the month, 1…31.
    public var day: Int

    /// A date from its parts, taken as given (not checked).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; nil when malformed or not a real date.
    public init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= CivilDate.daysIn(year: y, month: m)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int {
        let d = daysSinceEpoch
        return ((d % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// The number of days in `month` of `year`, leap years included.
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Whether `a` is an earlier day than `b`.
    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let y = String(year)
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + m + "-" + d
    }
}
