import DeeperData
import DeeperKernels

/// The prints of a `POST /api/prints` body, checked against SPEC §1: the valid ones ready for
/// `Feed.append`, and why each other one was refused. Fields are trimmed of surrounding spaces
/// as CSV fields are; a print stamped after `notAfter` (`MAX_FUTURE` ahead of the clock) is
/// refused like any other bad print.
struct PrintsBody: Sendable {
    /// One refused print: its CSV line (header = line 1) or its 1-based position in the JSON
    /// array, and why.
    struct Rejection: Sendable, Equatable {
        var line: Int
        var reason: String
    }

    /// The valid prints, in body order; `symbol` indexes `symbols`, `venue` indexes `venues`.
    var prints: [RawPrint] = []
    var symbols = InternTable()
    /// Upper-cased; id 0 is the unknown venue "".
    var venues = InternTable([""])
    /// The first `maxListedRejections` refusals.
    var rejected: [Rejection] = []
    /// Every refusal, listed or not.
    var rejectedCount = 0

    /// How many refusals a reply lists (all are counted), so a body wrong on every line gets a
    /// reply of bounded size.
    static let maxListedRejections = 1_000

    /// Why a whole body was refused (nothing in it is kept).
    struct BodyError: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    mutating func reject(_ line: Int, _ reason: String) {
        rejectedCount += 1
        if rejected.count < Self.maxListedRejections { rejected.append(Rejection(line: line, reason: reason)) }
    }

    // MARK: - CSV

    /// A CSV body (header `symbol,time,price,size[,venue]`) through the same byte parser as
    /// `deeper replay`.
    static func csv(_ bytes: UnsafeRawBufferPointer, notAfter: FutureLimit? = nil) throws(BodyError) -> PrintsBody {
        let parsed: PrintsCSV
        do {
            parsed = try PrintsCSV.parse(
                bytes, fileName: "body", maxStoredErrors: maxListedRejections, notAfter: notAfter)
        } catch {
            throw BodyError(description: "CSV header: \(error.reason)")
        }
        var body = PrintsBody()
        body.prints = parsed.prints
        body.symbols = parsed.symbols
        body.venues = parsed.venues
        body.rejected = parsed.errors.map {
            Rejection(line: $0.line, reason: $0.column.isEmpty ? $0.reason : "\($0.column): \($0.reason)")
        }
        body.rejectedCount = parsed.errorCount
        return body
    }

    // MARK: - JSON

    /// A JSON array of `{"symbol", "time", "price", "size", "venue"?}`.
    ///
    /// `time` is an ISO-8601 string or epoch milliseconds (a number or a string of digits);
    /// `price` a number or a string, read exactly from its decimal text; `size` a whole number
    /// (or a string of digits); `venue` a string, null or absent. Other members are ignored.
    static func json(_ bytes: UnsafeRawBufferPointer, notAfter: FutureLimit? = nil) throws(BodyError) -> PrintsBody {
        var body = PrintsBody()
        do {
            try JSONScanner.forEachElement(ofArray: bytes) { position, item in
                do throws(Rejection) {
                    try body.add(item, at: position, notAfter: notAfter)
                } catch {
                    body.reject(error.line, error.reason)
                }
            }
        } catch {
            throw BodyError(description: "not a JSON array of prints: \(error)")
        }
        return body
    }

    private mutating func add(_ item: JSONValue, at position: Int, notAfter: FutureLimit?) throws(Rejection) {
        func fail(_ reason: String) -> Rejection { Rejection(line: position, reason: reason) }
        guard case .object = item else { throw fail("expected an object, got \(item.typeName)") }

        guard let symbolValue = item["symbol"] else { throw fail("symbol: missing") }
        guard case .string(let untrimmed) = symbolValue else {
            throw fail("symbol: expected a string, got \(symbolValue.typeName)")
        }
        let symbol = SymbolRules.trimmed(untrimmed)
        do { try PrintFields.checkSymbol(symbol) } catch { throw fail("symbol: \(error.reason) (\(Self.quoted(symbol)))") }

        let time = try field(item, "time", position: position, PrintFields.checkedTime)
        if let notAfter, !notAfter.accepts(time) {
            throw fail("time: \(notAfter.tolerance.reason) (\(Self.quoted(Self.text(of: item["time"]))))")
        }
        let price = try field(item, "price", position: position, PrintFields.checkedPriceTicks)
        let size = try field(item, "size", position: position, PrintFields.checkedSize)

        var venueID: UInt16 = 0
        switch item["venue"] {
        case nil, .null?: break
        case .string(let venue)?:
            let trimmed = SymbolRules.trimmed(venue)
            if let problem = Array(trimmed.utf8).withUnsafeBytes(PrintFields.venueProblem) {
                throw fail("venue: \(problem) (\(Self.quoted(trimmed)))")
            }
            let name = trimmed.uppercased()
            if !name.isEmpty {
                if venues.id(of: name) == nil && venues.count > Int(UInt16.max) {
                    throw fail("venue: more than \(UInt16.max) distinct venues")
                }
                venueID = UInt16(venues.intern(name))
            }
        case let other?:
            throw fail("venue: expected a string, got \(other.typeName)")
        }
        let symbolID = Int32(symbols.intern(symbol))
        prints.append(RawPrint(symbol: symbolID, time: time, price: price, size: size, venue: venueID))
    }

    /// Member `name`, a number or a string (its text either way), through `parse`.
    private func field<T>(
        _ item: JSONValue, _ name: String, position: Int,
        _ parse: (String) throws(PrintFieldError) -> T
    ) throws(Rejection) -> T {
        let text: String
        switch item[name] {
        case nil: throw Rejection(line: position, reason: "\(name): missing")
        case .number(let t)?: text = t
        case .string(let t)?: text = SymbolRules.trimmed(t)
        case let other?: throw Rejection(line: position, reason: "\(name): expected a number or a string, got \(other.typeName)")
        }
        do {
            return try parse(text)
        } catch {
            throw Rejection(line: position, reason: "\(name): \(error.reason) (\(Self.quoted(text)))")
        }
    }

    /// The text of a number or string member (trimmed), as `field` reads it.
    private static func text(of value: JSONValue?) -> String {
        switch value {
        case .number(let t)?: t
        case .string(let t)?: SymbolRules.trimmed(t)
        default: ""
        }
    }

    /// A value as shown inside a reason: Swift-quoted and cut to 60 characters.
    static func quoted(_ text: String) -> String {
        (text.count > 60 ? String(text.prefix(57)) + "..." : text).debugDescription
    }
}

extension PrintsBody.Rejection: Error {}
