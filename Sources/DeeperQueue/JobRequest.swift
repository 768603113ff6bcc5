import DeeperData
import DeeperKernels
import Foundation

/// When a job's "now" is (SPEC §4), before resolution against the clock.
public enum JobAsOf: Sendable, Equatable {
    /// Wall-clock now while the NYSE session is open, otherwise per symbol as `last`.
    case live
    case last
    case instant(Int64)

    /// Resolves `live` against `now` (nanoseconds) and the calendar.
    public func resolve(now: Int64, calendar: TradingCalendar) -> AsOf {
        switch self {
        case .live: calendar.isSessionOpen(at: now) ? .instant(now) : .last
        case .last: .last
        case .instant(let t): .instant(t)
        }
    }
}

/// A queued job as clients write it: `{"job_id","status":"queued","created_at","symbols":null or
/// [..], "as_of"?: …}` (SYSTEM.md).
public struct JobRequest: Sendable, Equatable {
    public var jobID: String
    /// nil = every symbol in `deeper_analysis:symbols`.
    public var symbols: [String]?
    public var asOf: JobAsOf
    public var createdAt: String?

    /// At most this many symbols in one job (the API enforces the same).
    public static let maxSymbols = 10_000

    /// A job longer than this is refused whole, unread (10,000 symbols take about 200 KB).
    public static let maxBytes = 1 << 20

    /// How many characters of a bad value a reason quotes.
    static let maxQuotedCharacters = 40

    public init(jobID: String, symbols: [String]?, asOf: JobAsOf, createdAt: String? = nil) {
        self.jobID = jobID
        self.symbols = symbols
        self.asOf = asOf
        self.createdAt = createdAt
    }

    /// Why a job cannot run, with its id when one could be read.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public var jobID: String?
        public var reason: String
        public var description: String { reason }
    }

    /// The one job-id rule: 1–200 bytes, no whitespace, no `:` (an id is part of Redis keys).
    /// The worker's hand-back script applies the same rule in Lua.
    public static func isValidJobID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 200 && !id.contains(where: { $0.isWhitespace || $0 == ":" })
    }

    /// Parses a job as taken from the queue.
    public static func parse(_ raw: [UInt8]) throws(Malformed) -> JobRequest {
        guard raw.count <= maxBytes else {
            throw Malformed(jobID: nil, reason: "job of \(raw.count) bytes is over the 1 MiB limit")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed])
        } catch {
            throw Malformed(jobID: nil, reason: "not JSON")
        }
        guard let job = object as? [String: Any] else { throw Malformed(jobID: nil, reason: "not a JSON object") }
        guard let id = job["job_id"] as? String, !id.isEmpty else {
            throw Malformed(jobID: nil, reason: "no job_id")
        }
        guard isValidJobID(id) else {
            throw Malformed(jobID: nil, reason: "job_id must be 1–200 characters without spaces or ':'")
        }
        let symbols = try parseSymbols(job["symbols"], jobID: id)
        let asOf = try parseAsOf(job["as_of"], jobID: id)
        return JobRequest(jobID: id, symbols: symbols, asOf: asOf, createdAt: job["created_at"] as? String)
    }

    /// The `symbols` field as parsed by `JSONSerialization`: absent or null → nil (every
    /// symbol); else a list of at most `maxSymbols` valid symbols (SPEC §1), each trimmed of
    /// surrounding spaces as CSV fields are, duplicates dropped. The reason of a `Malformed`
    /// starts with `symbols:`.
    public static func parseSymbols(_ value: Any?, jobID: String?) throws(Malformed) -> [String]? {
        switch value {
        case nil, is NSNull: return nil
        case let list as [Any]:
            guard list.count <= maxSymbols else {
                throw Malformed(jobID: jobID, reason: "symbols: more than \(maxSymbols)")
            }
            var out: [String] = []
            var seen = Set<String>()
            for item in list {
                guard let s = (item as? String).map(SymbolRules.trimmed), SymbolRules.isValid(s) else {
                    throw Malformed(jobID: jobID, reason: "symbols: \(Self.describe(item)) is not a valid symbol")
                }
                if seen.insert(s).inserted { out.append(s) }
            }
            return out
        default:
            throw Malformed(jobID: jobID, reason: "symbols: expected null or a list of symbols")
        }
    }

    /// The `as_of` field as parsed by `JSONSerialization`: absent or null → live; `"live"`,
    /// `"last"`, an ISO-8601 instant or a non-negative integer of epoch milliseconds. The reason
    /// of a `Malformed` starts with `as_of:`.
    public static func parseAsOf(_ value: Any?, jobID: String?) throws(Malformed) -> JobAsOf {
        switch value {
        case nil, is NSNull: return .live
        case let s as String:
            if s == "live" { return .live }
            if s == "last" { return .last }
            if let t = TimeText.parseInstant(s) { return .instant(t) }
        case let n as NSNumber where isJSONNumber(n):
            let ms = n.int64Value
            if n.doubleValue == Double(ms), ms >= 0, ms < Int64.max / Nanos.perMillisecond {
                return .instant(ms * Nanos.perMillisecond)
            }
        default: break
        }
        throw Malformed(jobID: jobID, reason: "as_of: \(describe(value ?? "")) is not live, last, an ISO-8601 instant or epoch ms")
    }

    /// The job JSON exactly as the API and `deeper submit` queue it.
    public func queuedJSON() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("job_id", jobID)
        w.field("status", "queued")
        w.field("created_at", createdAt)
        w.key("symbols")
        if let symbols {
            w.beginArray()
            for s in symbols { w.string(s) }
            w.endArray()
        } else {
            w.null()
        }
        switch asOf {
        case .live: break
        case .last: w.field("as_of", "last")
        case .instant(let t): w.field("as_of", Nanos.iso8601(t))
        }
        w.endObject()
        return w.text
    }

    /// A value as a reason quotes it: at most `maxQuotedCharacters` of a string, the text of a
    /// number, and only the kind of a list or an object (a bad value may be megabytes long).
    static func describe(_ v: Any) -> String {
        switch v {
        case let s as String:
            let cut = s.count > maxQuotedCharacters ? String(s.prefix(maxQuotedCharacters)) + "…" : s
            return "\"\(cut)\"" + (s.count > maxQuotedCharacters ? " (\(s.utf8.count) bytes)" : "")
        case let n as NSNumber: return String("\(n)".prefix(maxQuotedCharacters))
        case is NSNull: return "null"
        case let list as [Any]: return "a list of \(list.count)"
        case is [String: Any]: return "an object"
        default: return "a value"
        }
    }
}

/// JSON numbers that are not booleans (NSNumber bridges both).
@inline(__always)
private func isJSONNumber(_ n: NSNumber) -> Bool {
    // A JSON `true` parses to an NSNumber too; reject it as an as_of.
    String(cString: n.objCType) != "c"
}
