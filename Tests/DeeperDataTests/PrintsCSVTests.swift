import DeeperKernels
import Foundation
import Testing

@testable import DeeperData

private let header = "symbol,time,price,size,venue\n"

private func parse(_ text: String, maxStoredErrors: Int = 1000) throws -> PrintsCSV {
    try PrintsCSV.parse(text, fileName: "prints.csv", maxStoredErrors: maxStoredErrors)
}

/// Parses the header plus one line with every field fine except the one given.
private func parseLine(
    symbol: String = "AHL PRF", time: String = "2025-01-02T14:30:00Z", price: String = "24.9",
    size: String = "100", venue: String = "NYSE"
) throws -> PrintsCSV {
    try parse(header + "\(symbol),\(time),\(price),\(size),\(venue)\n")
}

/// The single error of a one-line file, or nil when the line parsed.
private func lineError(
    symbol: String = "AHL PRF", time: String = "2025-01-02T14:30:00Z", price: String = "24.9",
    size: String = "100", venue: String = "NYSE"
) throws -> CSVLineError? {
    let parsed = try parseLine(symbol: symbol, time: time, price: price, size: size, venue: venue)
    #expect(parsed.errorCount == parsed.errors.count)
    #expect(parsed.prints.count + parsed.errorCount == 1)
    return parsed.errors.first
}

/// 2025-01-02T14:30:00Z in nanoseconds.
private let jan2 = Int64(1_735_828_200) * Nanos.perSecond

@Suite("Prints CSV")
struct PrintsCSVTests {
    // MARK: - Shape

    @Test func parsesOneLineExactly() throws {
        let parsed = try parse(header + "AHL PRF,2025-01-02T14:30:00Z,24.9050,100,NYSE\n")
        #expect(parsed.errors == [])
        #expect(parsed.errorCount == 0)
        #expect(parsed.prints == [RawPrint(symbol: 0, time: jan2, price: 249_050, size: 100, venue: 1)])
        #expect(parsed.symbols.names == ["AHL PRF"])
        #expect(parsed.venues.names == ["", "NYSE"])
        #expect(parsed.lineCount == 2)
        #expect(parsed.recordCount == 1)
    }

    @Test(arguments: [
        ["symbol", "time", "price", "size", "venue"],
        ["venue", "size", "price", "time", "symbol"],
        ["time", "symbol", "venue", "size", "price"],
        ["price", "venue", "symbol", "time", "size"],
    ])
    func columnsInAnyOrder(_ order: [String]) throws {
        let values = ["symbol": "GAINN", "time": "1735828200000", "price": "25.2", "size": "300", "venue": "fnra"]
        let text = order.joined(separator: ",") + "\n" + order.map { values[$0]! }.joined(separator: ",") + "\n"
        let parsed = try parse(text)
        #expect(parsed.errors == [])
        #expect(parsed.prints == [RawPrint(symbol: 0, time: jan2, price: 252_000, size: 300, venue: 1)])
        #expect(parsed.venues.names == ["", "FNRA"])
    }

    @Test func headerNamesAreTrimmedAndCaseInsensitive() throws {
        let parsed = try parse(" Symbol , TIME ,\"Price\",SiZe,VENUE\nA,0,1,1,x\n")
        #expect(parsed.errors == [])
        #expect(parsed.prints.count == 1)
    }

    @Test func venueColumnMayBeAbsent() throws {
        let parsed = try parse("symbol,time,price,size\nA,0,1,1\nB,0,2,2\n")
        #expect(parsed.errors == [])
        #expect(parsed.prints.map(\.venue) == [0, 0])
        #expect(parsed.venues.names == [""])
    }

    @Test func extraColumnsAreIgnored() throws {
        let parsed = try parse(
            "exchange_id,symbol,note,time,price,size,venue,other\n7,A,\"x, \"\"y\"\"\",0,1,1,,whatever\n")
        #expect(parsed.errors == [])
        #expect(parsed.prints == [RawPrint(symbol: 0, time: 0, price: 10_000, size: 1, venue: 0)])
    }

    @Test(arguments: ["symbol", "time", "price", "size"])
    func missingRequiredColumnThrowsNamingIt(_ column: String) {
        let names = ["symbol", "time", "price", "size", "venue"].filter { $0 != column }
        #expect(
            throws: CSVLineError(
                file: "prints.csv", line: 1, column: column, reason: "required column missing from header")
        ) {
            try parse(names.joined(separator: ",") + "\n")
        }
    }

    @Test func columnNamedTwiceThrows() {
        #expect(
            throws: CSVLineError(file: "prints.csv", line: 1, column: "price", reason: "column named twice in header")
        ) {
            try parse("symbol,time,price,size,PRICE\n")
        }
    }

    @Test func emptyOrBlankFileThrows() {
        #expect(throws: CSVLineError.self) { try parse("") }
        #expect(throws: CSVLineError(file: "prints.csv", line: 1, column: "", reason: "no header line")) {
            try parse("\n  \n")
        }
    }

    @Test func headerWithBrokenQuotingThrows() {
        #expect(throws: CSVLineError.self) { try parse("symbol,\"time,price,size\n") }
    }

    @Test func headerOnlyGivesNoPrints() throws {
        let parsed = try parse(header)
        #expect(parsed.prints.isEmpty)
        #expect(parsed.errorCount == 0)
        #expect(parsed.recordCount == 0)
    }

    @Test func blankLinesAreSkippedAndLineNumbersCountThem() throws {
        let parsed = try parse("\n" + header + "\n   \nA,0,1,1,\n\nB,0,0,1,\n\n")
        #expect(parsed.prints.count == 1)
        #expect(parsed.recordCount == 2)
        #expect(parsed.errors.map(\.line) == [7])
        #expect(parsed.lineCount == 8)
    }

    @Test func crlfIsAccepted() throws {
        let parsed = try parse("symbol,time,price,size,venue\r\nA,0,1,1,ARCA\r\nB,0,2,2,\r\n")
        #expect(parsed.errors == [])
        #expect(parsed.prints.map(\.venue) == [1, 0])
        #expect(parsed.venues.names == ["", "ARCA"])
    }

    @Test func fieldsAreTrimmed() throws {
        let parsed = try parse(header + "  AHL PRF  ,  2025-01-02T14:30:00Z ,  24.9 ,  100  , nyse \n")
        #expect(parsed.errors == [])
        #expect(parsed.prints == [RawPrint(symbol: 0, time: jan2, price: 249_000, size: 100, venue: 1)])
        #expect(parsed.symbols.names == ["AHL PRF"])
        #expect(parsed.venues.names == ["", "NYSE"])
    }

    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let text =
            "symbol,time,price,size,venue,note\n"
            + "\"AHL PRF\",\"2025-01-02T14:30:00Z\",\"24.9\",\"100\",\"NY,SE\",\"a\nb\"\n"
            + "B,0,1,1,\"X\"\"Y\",\"\"\n"
        let parsed = try parse(text)
        #expect(parsed.errors == [])
        #expect(parsed.prints.count == 2)
        #expect(parsed.venues.names == ["", "NY,SE", "X\"Y"])
        #expect(parsed.lineCount == 4)
    }

    @Test func lineNumbersAreRightAfterAQuotedNewline() throws {
        let text =
            "symbol,time,price,size,venue,note\n"  // 1
            + "A,0,1,1,,\"one\ntwo\nthree\"\n"  // 2-4
            + "B,0,24.90501,1,,x\n"  // 5
            + "C,0,-1,1,,\"multi\nline\"\n"  // 6-7
            + "D,0,1,1,,\n"  // 8
            + "E,0,1,0,,\n"  // 9
        let parsed = try parse(text)
        #expect(parsed.errors.map(\.line) == [5, 6, 9])
        #expect(parsed.prints.count == 2)
        #expect(parsed.lineCount == 9)
    }

    @Test func unsortedInputKeepsFileOrder() throws {
        let parsed = try parse(header + "B,3000,1,1,\nA,1000,1,1,\nB,2000,1,1,\n")
        #expect(parsed.prints.map(\.time) == [3_000_000_000, 1_000_000_000, 2_000_000_000])
        #expect(parsed.prints.map(\.symbol) == [0, 1, 0])
        #expect(parsed.symbols.names == ["B", "A"])
    }

    @Test func wrongFieldCountIsAnError() throws {
        let parsed = try parse(header + "A,0,1,1\nA,0,1,1,X,extra\nA,0,1,1,X\n")
        #expect(parsed.prints.count == 1)
        #expect(
            parsed.errors.map(\.description) == [
                "prints.csv:2: column venue: line has 4 fields, header has 5",
                "prints.csv:3: line has 6 fields, header has 5",
            ])
    }

    @Test func brokenQuotingIsAnErrorOnThatLineOnly() throws {
        let parsed = try parse(header + "A,0,1,1,NY\"SE\n\"B\"x,0,1,1,\nC,0,1,1,\n")
        #expect(parsed.prints.count == 1)
        #expect(
            parsed.errors.map(\.description) == [
                "prints.csv:2: column venue: quote inside an unquoted field",
                "prints.csv:3: column symbol: text after a closing quote",
            ])
        // The lines after an unterminated quote are still read: C is kept, D's error reported.
        let unterminated = try parse(header + "A,0,1,1,\nB,0,\"1,1,\nC,0,1,1,\nD,x,1,1,\n")
        #expect(unterminated.prints.count == 2)
        #expect(
            unterminated.errors.map(\.description) == [
                "prints.csv:3: column price: quoted field is not closed on its line or later",
                "prints.csv:5: column time: \(try #require(unterminated.errors.last).reason)",
            ])
    }

    @Test func errorDescriptionFormat() throws {
        let error = try #require(try lineError(price: "24.90501"))
        #expect(error.description == "prints.csv:2: column price: more than 4 decimal places (\"24.90501\")")
        #expect(
            error
                == CSVLineError(
                    file: "prints.csv", line: 2, column: "price", reason: "more than 4 decimal places (\"24.90501\")"))
    }

    @Test func oneErrorPerLineAndBadLinesAreSkipped() throws {
        let parsed = try parse(header + "a,x,0,0,\nA,0,1,1,\n")
        #expect(parsed.errorCount == 1)
        #expect(parsed.errors.first?.column == "symbol")
        #expect(parsed.prints.count == 1)
    }

    @Test func errorsAreAllCountedButOnlyTheFirstAreKept() throws {
        let bad = String(repeating: "A,0,0,1,\n", count: 5)
        let parsed = try parse(header + bad + "A,0,1,1,\n", maxStoredErrors: 2)
        #expect(parsed.errorCount == 5)
        #expect(parsed.errors.map(\.line) == [2, 3])
        #expect(parsed.prints.count == 1)
        #expect(parsed.recordCount == 6)
    }

    @Test func fileNameAppearsInErrors() throws {
        let parsed = try PrintsCSV.parse(header + "A,0,0,1,\n", fileName: "data/day1.csv")
        #expect(parsed.errors.first?.description.hasPrefix("data/day1.csv:2: column price: ") == true)
    }

    // MARK: - Symbol

    @Test(arguments: ["A", "AHL PRF", "GAINN", "BRK.A", "X-Y/Z", "1ABC", "9", "ABCDEFGHIJKLMNOP", "A  B"])
    func validSymbols(_ symbol: String) throws {
        let parsed = try parseLine(symbol: symbol)
        #expect(parsed.errors == [])
        #expect(parsed.symbols.names == [symbol])
    }

    @Test(arguments: [
        ("ahl", "lower-case letter in symbol (symbols are upper-case A-Z)"),
        ("AHL prf", "lower-case letter in symbol (symbols are upper-case A-Z)"),
        ("ABCDEFGHIJKLMNOPQ", "symbol longer than 16 characters"),
        (".ABC", "symbol must start with a letter or digit"),
        ("-ABC", "symbol must start with a letter or digit"),
        ("/ABC", "symbol must start with a letter or digit"),
        ("AB_C", "invalid character in symbol (allowed: A-Z 0-9 space . - /)"),
        ("AB$", "invalid character in symbol (allowed: A-Z 0-9 space . - /)"),
        ("ÄB", "invalid character in symbol (allowed: A-Z 0-9 space . - /)"),
        ("", "empty"),
    ])
    func invalidSymbols(_ symbol: String, _ reason: String) throws {
        let error = try #require(try lineError(symbol: symbol))
        #expect(error.column == "symbol")
        #expect(error.reason == "\(reason) (\(symbol.debugDescription))")
    }

    @Test func symbolsAreInternedInFirstSeenOrderAndOnlyFromValidLines() throws {
        let parsed = try parse(header + "B,0,1,1,\nZ,0,0,1,\nA,0,1,1,\nB,0,1,1,\nABCDEFGHI,0,1,1,\nABCDEFGHJ,0,1,1,\n")
        #expect(parsed.symbols.names == ["B", "A", "ABCDEFGHI", "ABCDEFGHJ"])
        #expect(parsed.prints.map(\.symbol) == [0, 1, 0, 2, 3])
    }

    @Test func manyDistinctSymbolsKeepTheirIds() throws {
        let names = (0..<600).map { "S\($0)" }
        let lines = (names + names.reversed()).map { "\($0),0,1,1,\n" }.joined()
        let parsed = try parse(header + lines)
        #expect(parsed.errorCount == 0)
        #expect(parsed.symbols.names == names)
        let ids: [Int32] = Array(0..<600) + Array((0..<600).reversed())
        #expect(parsed.prints.map(\.symbol) == ids)
    }

    // MARK: - Venue

    @Test func venuesAreUpperCasedAndIdZeroIsUnknown() throws {
        let parsed = try parse(
            header + "A,0,1,1,nyse\nA,0,1,1,\nA,0,1,1,NYSE\nA,0,1,1,Fnra\nA,0,1,1,  \nA,0,1,1,NySe\n")
        #expect(parsed.errors == [])
        #expect(parsed.venues.names == ["", "NYSE", "FNRA"])
        #expect(parsed.prints.map(\.venue) == [1, 0, 1, 2, 0, 1])
    }

    @Test func longVenuesAreInternedToo() throws {
        let parsed = try parse(header + "A,0,1,1,a-very-long-venue-name\nA,0,1,1,A-VERY-LONG-VENUE-NAME\n")
        #expect(parsed.venues.names == ["", "A-VERY-LONG-VENUE-NAME"])
        #expect(parsed.prints.map(\.venue) == [1, 1])
    }

    @Test func venuesOfBadLinesAreNotInterned() throws {
        let parsed = try parse(header + "A,0,0,1,ARCA\nA,0,1,1,BATS\n")
        #expect(parsed.venues.names == ["", "BATS"])
    }

    @Test func invalidUTF8VenueIsAnError() throws {
        let bytes = Array(header.utf8) + Array("A,0,1,1,".utf8) + [0xFF, 0x0A]
        let parsed = try PrintsCSV.parse(bytes, fileName: "prints.csv")
        #expect(parsed.prints.isEmpty)
        #expect(parsed.errors.first?.column == "venue")
        #expect(parsed.errors.first?.reason.hasPrefix("not valid UTF-8") == true)
    }

    @Test func venuesAreAtMost32BytesOfPrintableASCII() throws {
        let long = String(repeating: "V", count: 33)
        let bytes = Array((header + "A,0,1,1,\(long.dropLast())\nA,0,1,1,\(long)\nA,0,1,1,\"N\u{1}Y\"\nA,0,1,1,  ny se  \n").utf8)
        let parsed = try PrintsCSV.parse(bytes, fileName: "prints.csv")
        #expect(parsed.prints.count == 2)
        #expect(parsed.venues.names == ["", String(long.dropLast()), "NY SE"])
        #expect(parsed.errors.map(\.line) == [3, 4])
        #expect(parsed.errors.first?.reason.hasPrefix("venue longer than 32 bytes") == true)
        #expect(parsed.errors.last?.reason.hasPrefix("venue must be printable ASCII") == true)
    }

    // MARK: - Time

    @Test(
        arguments: [
            ("2025-01-02T14:30:00Z", jan2),
            ("2025-01-02T09:30:00-05:00", jan2),
            ("2025-01-02T20:00:00+05:30", jan2),
            ("2025-07-01T09:30:00-04:00", Int64(1_751_376_600) * Nanos.perSecond),
            ("2025-01-02T14:30:00+00:00", jan2),
            ("2025-01-02T14:30:00-00:00", jan2),
            ("2025-01-02T14:30:00.5Z", jan2 + 500_000_000),
            ("2025-01-02T14:30:00.123456789Z", jan2 + 123_456_789),
            ("2025-01-02T14:30:00.000000001Z", jan2 + 1),
            ("2025-01-02T14:30:00.120-05:00", jan2 + 5 * Nanos.perHour + 120_000_000),
            ("2024-02-29T00:00:00Z", Int64(1_709_164_800) * Nanos.perSecond),
            ("2000-02-29T12:00:00Z", Int64(951_825_600) * Nanos.perSecond),
            ("2025-12-31T23:59:59Z", Int64(1_767_225_599) * Nanos.perSecond),
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T00:00:00+01:00", -Nanos.perHour),
            ("1969-12-31T23:59:59.999999999Z", -1),
            ("2262-04-11T23:47:16.854775807Z", Int64.max),
            ("1677-09-21T00:12:43.145224192Z", Int64.min),
            ("0", 0),
            ("1735828200000", jan2),
            ("1735828200001", jan2 + 1_000_000),
            ("0001735828200000", jan2),
            ("9223372036854", 9_223_372_036_854_000_000),
        ] as [(String, Int64)])
    func validTimes(_ text: String, _ nanos: Int64) throws {
        let parsed = try parseLine(time: text)
        #expect(parsed.errors == [])
        #expect(parsed.prints.first?.time == nanos)
    }

    @Test func datesChangingAndRepeatingAcrossLines() throws {
        let parsed = try parse(
            header
                + "A,2025-01-02T14:30:00Z,1,1,\nA,2025-01-03T14:30:00Z,1,1,\nA,2025-01-02T14:30:01Z,1,1,\n"
                + "A,2025-02-28T00:00:00Z,1,1,\nA,2025-02-29T00:00:00Z,1,1,\nA,2025-02-28T00:00:00Z,1,1,\n"
                + "A,1735828200000,1,1,\nA,2025-01-02T14:30:00Z,1,1,\n")
        let feb28 = Int64(1_740_700_800) * Nanos.perSecond
        #expect(
            parsed.prints.map(\.time) == [
                jan2, jan2 + Nanos.perDay, jan2 + Nanos.perSecond, feb28, feb28, jan2, jan2,
            ])
        #expect(parsed.errors.map(\.line) == [6])
    }

    @Test(arguments: [
        ("2025-02-29T12:00:00Z", "no such date"),
        ("1900-02-29T12:00:00Z", "no such date"),
        ("2025-04-31T12:00:00Z", "no such date"),
        ("2025-13-01T12:00:00Z", "no such date"),
        ("2025-00-10T12:00:00Z", "no such date"),
        ("2025-01-00T12:00:00Z", "no such date"),
        ("2025-01-02T24:00:00Z", "hour out of range"),
        ("2025-01-02T23:60:00Z", "minute out of range"),
        ("2025-01-02T23:59:60Z", "second out of range"),
        ("2025-01-02T14:30:00.1234567890Z", "more than 9 fraction digits"),
        ("2025-01-02T14:30:00+24:00", "UTC offset out of range"),
        ("2025-01-02T14:30:00+05:60", "UTC offset out of range"),
        ("2262-04-11T23:47:16.854775808Z", "time outside what Int64 nanoseconds hold (1677-09-21 to 2262-04-11)"),
        ("1677-09-21T00:12:43.145224191Z", "time outside what Int64 nanoseconds hold (1677-09-21 to 2262-04-11)"),
        ("9223372036855", "epoch milliseconds too large"),
        ("99999999999999999999999", "epoch milliseconds too large"),
        ("", "empty"),
    ])
    func invalidTimesWithReasons(_ text: String, _ reason: String) throws {
        let error = try #require(try lineError(time: text))
        #expect(error.column == "time")
        #expect(error.reason == "\(reason) (\(text.debugDescription))")
    }

    @Test(arguments: [
        "2025-01-02T14:30:00",  // no zone
        "2025-01-02 14:30:00Z",  // space for T
        "2025-01-02t14:30:00Z",  // lower-case t
        "2025-01-02T14:30:00z",  // lower-case z
        "2025-01-02T14:30:00.Z",  // empty fraction
        "2025-01-02T14:30Z",  // no seconds
        "2025-01-02T14:30:00+0530",  // offset without colon
        "2025-01-02T14:30:00+05",  // offset without minutes
        "2025-01-02T14:30:00Z+01:00",
        "2025-01-02T14:30:00ZZ",
        "2025-1-02T14:30:00Z",
        "25-01-02T14:30:00Z",
        "2025-01-02",
        "20250102T143000Z",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "now",
    ])
    func malformedTimes(_ text: String) throws {
        let error = try #require(try lineError(time: text))
        #expect(error.column == "time")
        #expect(error.reason.hasPrefix("not an ISO-8601 time"))
    }

    // MARK: - Price

    @Test(
        arguments: [
            ("24.9", 249_000),
            ("24.905", 249_050),
            ("24.90500", 249_050),
            ("24.9050000000000000000000", 249_050),
            ("0.0001", 1),
            ("99999.9999", 999_999_999),
            ("99999.99990", 999_999_999),
            ("100", 1_000_000),
            ("0100.5", 1_005_000),
            (".5", 5_000),
            ("5.", 50_000),
        ] as [(String, Int64)])
    func validPrices(_ text: String, _ ticks: Int64) throws {
        let parsed = try parseLine(price: text)
        #expect(parsed.errors == [])
        #expect(parsed.prints.first?.price == ticks)
    }

    @Test(arguments: [
        ("24.90501", "more than 4 decimal places"),
        ("0.00001", "more than 4 decimal places"),
        ("0", "price must be greater than 0"),
        ("0.0000", "price must be greater than 0"),
        ("100000", "price greater than 99999.9999"),
        ("100000.0000", "price greater than 99999.9999"),
        ("99999999999999999999999", "price greater than 99999.9999"),
        ("+24.9", "not a decimal number"),
        ("-24.9", "not a decimal number"),
        ("2.49e1", "not a decimal number"),
        ("24.9.0", "not a decimal number"),
        (".", "not a decimal number"),
        ("$24.90", "not a decimal number"),
        ("24 .9", "not a decimal number"),
        ("", "empty"),
    ])
    func invalidPrices(_ text: String, _ reason: String) throws {
        let error = try #require(try lineError(price: text))
        #expect(error.column == "price")
        #expect(error.reason == "\(reason) (\(text.debugDescription))")
    }

    // MARK: - Size

    @Test(arguments: [("1", 1), ("100", 100), ("007", 7), ("2147483647", Int32.max)] as [(String, Int32)])
    func validSizes(_ text: String, _ size: Int32) throws {
        let parsed = try parseLine(size: text)
        #expect(parsed.errors == [])
        #expect(parsed.prints.first?.size == size)
    }

    @Test(arguments: [
        ("0", "size must be at least 1"),
        ("000", "size must be at least 1"),
        ("2147483648", "size greater than 2147483647"),
        ("99999999999999999999999", "size greater than 2147483647"),
        ("-5", "not a whole number of shares"),
        ("+5", "not a whole number of shares"),
        ("100.0", "not a whole number of shares"),
        ("1e3", "not a whole number of shares"),
        ("", "empty"),
    ])
    func invalidSizes(_ text: String, _ reason: String) throws {
        let error = try #require(try lineError(size: text))
        #expect(error.column == "size")
        #expect(error.reason == "\(reason) (\(text.debugDescription))")
    }

    // MARK: - Files

    @Test func readsAFileAndReportsAMissingOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-prints-\(UUID()).csv").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data((header + "A,0,1,1,X\n").utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parsed = try PrintsCSV.read(contentsOfFile: path)
        #expect(parsed.prints.count == 1)
        #expect(throws: CSVFileError(file: path + ".missing", reason: "no such file")) {
            try PrintsCSV.read(contentsOfFile: path + ".missing")
        }
    }
}
