import DeeperData
import DeeperKernels
import DeeperQueue

// MARK: - Compute body

/// `POST /compute`'s optional body: `{"symbols": [...] or null, "as_of": ...}`, read strictly:
/// a strict JSON parser (no trailing commas, no duplicate members), no other members (a typo
/// such as `symbolz` must not silently queue every symbol), `as_of` a string or a whole number
/// of epoch milliseconds (never a fraction or a boolean). Reasons quote values in JSON.
enum ComputeBody {
    struct Problem: Error {
        var reason: String
    }

    static let knownKeys: Set<String> = ["symbols", "as_of"]

    /// The job the body asks for, or why it cannot be queued (the reason names the field).
    static func parse(_ bytes: [UInt8], jobID: String, now: Int64) -> Result<JobRequest, Problem> {
        let isBlank = bytes.allSatisfy(JSONText.isSpace)
        var members: [(key: String, value: JSONValue)] = []
        if !isBlank {
            let value: JSONValue
            do {
                value = try bytes.withUnsafeBytes { (raw) throws(JSONSyntaxError) in try JSONScanner.parse(raw) }
            } catch {
                return .failure(Problem(reason: "body: not JSON: \(error)"))
            }
            guard case .object(let object) = value else {
                return .failure(Problem(reason: "body: expected a JSON object like {\"symbols\": [...], \"as_of\": \"last\"}, got \(value.typeName)"))
            }
            members = object
        }
        var seen = Set<String>()
        for (key, _) in members {
            guard knownKeys.contains(key) else {
                return .failure(Problem(reason: "body: unknown member \(JSONText.string(key)) (expected \"symbols\" and \"as_of\")"))
            }
            guard seen.insert(key).inserted else {
                return .failure(Problem(reason: "body: member \(JSONText.string(key)) given twice"))
            }
        }
        let fields = Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) })
        do throws(Problem) {
            let symbols = try parseSymbols(fields["symbols"])
            let asOf = try parseAsOf(fields["as_of"])
            return .success(JobRequest(jobID: jobID, symbols: symbols, asOf: asOf, createdAt: Nanos.iso8601(now)))
        } catch {
            return .failure(error)
        }
    }

    /// Absent or null → every symbol; else a list of valid symbols, trimmed as CSV fields are,
    /// repeats counted once (10,001 copies of one symbol are one symbol).
    static func parseSymbols(_ value: JSONValue?) throws(Problem) -> [String]? {
        switch value {
        case nil, .null?: return nil
        case .array(let list)?:
            var out: [String] = []
            var seen = Set<String>()
            for item in list {
                guard case .string(let text) = item, case let s = SymbolRules.trimmed(text), SymbolRules.isValid(s) else {
                    throw Problem(reason: "symbols: \(item.jsonText()) is not a valid symbol")
                }
                if seen.insert(s).inserted {
                    out.append(s)
                    if out.count > JobRequest.maxSymbols {
                        throw Problem(reason: "symbols: more than \(JobRequest.maxSymbols) distinct symbols")
                    }
                }
            }
            if out.isEmpty { throw Problem(reason: "symbols: empty list (send null, or leave it out, for every symbol)") }
            return out
        case let other?:
            throw Problem(reason: "symbols: expected null or a list of symbols, got \(other.jsonText())")
        }
    }

    /// Absent or null → live; `"live"`, `"last"`, an ISO-8601 instant, or a whole non-negative
    /// number of epoch milliseconds.
    static func parseAsOf(_ value: JSONValue?) throws(Problem) -> JobAsOf {
        switch value {
        case nil, .null?: return .live
        case .string(let s)?:
            if let asOf = try? JobRequest.parseAsOf(s, jobID: nil) { return asOf }
        case .number(let text)?:
            if !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let ms = Int64(text), ms < Int64.max / Nanos.perMillisecond
            {
                return .instant(ms * Nanos.perMillisecond)
            }
        default: break
        }
        throw Problem(
            reason: "as_of: \(value?.jsonText() ?? "") is not \"live\", \"last\", an ISO-8601 instant or whole epoch milliseconds")
    }
}

extension JSONValue {
    /// The value in JSON notation, cut to `maxCharacters` (a bad value may be megabytes long).
    func jsonText(maxCharacters: Int = 40) -> String {
        var text = ""
        write(to: &text, budget: maxCharacters + 1)
        return text.count > maxCharacters ? String(text.prefix(maxCharacters)) + "…" : text
    }

    private func write(to out: inout String, budget: Int) {
        guard out.count <= budget else { return }
        switch self {
        case .string(let s): out += JSONText.string(s.count > budget ? String(s.prefix(budget)) : s)
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (k, item) in items.enumerated() {
                if out.count > budget { break }
                if k > 0 { out += "," }
                item.write(to: &out, budget: budget)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (k, member) in members.enumerated() {
                if out.count > budget { break }
                if k > 0 { out += "," }
                out += JSONText.string(member.key) + ":"
                member.value.write(to: &out, budget: budget)
            }
            out += "}"
        }
    }
}

// MARK: - Prints formats

/// How a prints body is written, from its Content-Type: `application/json` (an array of
/// prints) or `text/csv`; anything else, or none, is refused with 415 (no sniffing: a
/// `text/plain` or form body is what a cross-site page can send without asking).
enum PrintsFormat: Sendable {
    case json, csv

    init?(contentType: String?) {
        guard let contentType else { return nil }
        switch APIAccess.mediaType(contentType) {
        case "application/json": self = .json
        case "text/csv": self = .csv
        default: return nil
        }
    }

    func parse(_ bytes: UnsafeRawBufferPointer, notAfter: FutureLimit? = nil) throws(PrintsBody.BodyError) -> PrintsBody {
        switch self {
        case .json: return try PrintsBody.json(bytes, notAfter: notAfter)
        case .csv: return try PrintsBody.csv(bytes, notAfter: notAfter)
        }
    }
}
