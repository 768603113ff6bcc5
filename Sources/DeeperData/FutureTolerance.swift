import DeeperKernels

/// How far ahead of the wall clock a print's time may be and still be taken in: `MAX_FUTURE`,
/// 300 s unless set.
///
/// Every feed refuses a print stamped further ahead (`deeper replay`, `POST /api/prints`, and
/// the worker for entries any script XADDs), with a reason. Why 5 minutes: a real print is never
/// stamped after it happened, so only clock skew between the feed's host and ours may put it
/// ahead, and NTP keeps that to milliseconds; a few minutes of slack costs nothing, while a
/// wrong time zone (hours) or a mistyped year is refused at once instead of standing as the
/// symbol's "last print" until the clock catches up.
public struct FutureTolerance: Sendable, Equatable, CustomStringConvertible {
    /// The tolerance in milliseconds (≥ 0).
    public var milliseconds: Int64

    /// The environment variable that sets it, in seconds.
    public static let environmentVariable = "MAX_FUTURE"
    /// 5 minutes.
    public static let `default` = FutureTolerance(seconds: 300)
    /// The largest tolerance accepted (about 3,000 years): keeps `limit(now:)` inside `Int64`.
    static let maxMilliseconds: Int64 = 100_000_000_000_000

    public init(milliseconds: Int64) {
        precondition(milliseconds >= 0 && milliseconds <= Self.maxMilliseconds, "tolerance out of range")
        self.milliseconds = milliseconds
    }

    public init(seconds: Int64) { self.init(milliseconds: seconds * 1000) }

    /// A value that is not a number of seconds from 0 to about 3,000 years.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var value: String
        public var description: String {
            "\(FutureTolerance.environmentVariable)=\(value): expected a number of seconds ≥ 0 (default 300)"
        }
    }

    /// Parses seconds (`300`, `2.5`, `1e10`).
    public init(parsing text: String) throws(ParseError) {
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0,
            seconds * 1000 <= Double(Self.maxMilliseconds)
        else { throw ParseError(value: text) }
        self.init(milliseconds: Int64((seconds * 1000).rounded()))
    }

    /// `MAX_FUTURE` from `environment`, or the default when it is unset or empty.
    public static func fromEnvironment(_ environment: [String: String]) throws(ParseError) -> FutureTolerance {
        guard let text = environment[environmentVariable], !text.isEmpty else { return .default }
        return try FutureTolerance(parsing: text)
    }

    /// `300 s`, `2.5 s`.
    public var description: String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }

    /// Why a print is refused: `more than 300 s ahead of the clock (MAX_FUTURE)`.
    public var reason: String { "more than \(description) ahead of the clock (\(Self.environmentVariable))" }

    /// The latest print time (nanoseconds) accepted when the clock reads `now` (nanoseconds).
    public func limit(now: Int64) -> FutureLimit {
        let (ahead, o1) = milliseconds.multipliedReportingOverflow(by: Nanos.perMillisecond)
        let (latest, o2) = now.addingReportingOverflow(ahead)
        return FutureLimit(latest: o1 || o2 ? .max : latest, tolerance: self)
    }
}

/// The latest print time a feed accepts right now, and the tolerance it came from (for reasons).
public struct FutureLimit: Sendable, Equatable {
    /// Nanoseconds since the epoch; a print with a later time is refused.
    public var latest: Int64
    public var tolerance: FutureTolerance

    public init(latest: Int64, tolerance: FutureTolerance) {
        self.latest = latest
        self.tolerance = tolerance
    }

    /// Whether a print at `time` (nanoseconds) is accepted.
    @inline(__always)
    public func accepts(_ time: Int64) -> Bool { time <= latest }
}
