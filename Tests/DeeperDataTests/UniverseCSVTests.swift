import Foundation
import DeeperKernels
import Testing

@testable import DeeperData

private func parse(_ text: String) throws -> UniverseCSV {
    try UniverseCSV.parse(text, fileName: "universe.csv")
}

@Suite("Universe CSV")
struct UniverseCSVTests {
    @Test func parsesEntriesWithGroupsAndIgnoresExtraColumns() throws {
        let parsed = try parse(
            "symbol,avg_adv,group,last_price\nFCRX,3056,,24.92\nAHL PRE,14006,c625,19.73\nWSBCP,,,\n"
                + "\"BC PRA\",1234.5,\" big, \"\"red\"\" \",\n")
        #expect(parsed.errors == [])
        #expect(parsed.errorCount == 0)
        #expect(
            parsed.entries == [
                UniverseEntry(symbol: "FCRX", avgADV: ExactDecimal(mantissa: 3056, scale: 0), group: nil),
                UniverseEntry(symbol: "AHL PRE", avgADV: ExactDecimal(mantissa: 14006, scale: 0), group: "c625"),
                UniverseEntry(symbol: "WSBCP", avgADV: nil, group: nil),
                UniverseEntry(symbol: "BC PRA", avgADV: ExactDecimal(mantissa: 12345, scale: 1), group: "big, \"red\""),
            ])
        #expect(parsed.entry(for: "AHL PRE")?.group == "c625")
        #expect(parsed.entry(for: "WSBCP")?.avgADV == nil)
        #expect(parsed.entry(for: "NOPE") == nil)
        #expect(parsed.lineCount == 5)
    }

    @Test func groupColumnIsOptionalAndColumnsMayBeInAnyOrder() throws {
        let parsed = try parse("AVG_ADV , Symbol\r\n500,GAINN\r\n\r\n,GAINZ\r\n")
        #expect(parsed.errors == [])
        #expect(
            parsed.entries == [
                UniverseEntry(symbol: "GAINN", avgADV: ExactDecimal(mantissa: 500, scale: 0), group: nil),
                UniverseEntry(symbol: "GAINZ", avgADV: nil, group: nil),
            ])
    }

    @Test(arguments: ["symbol", "avg_adv"])
    func missingRequiredColumnThrows(_ column: String) {
        let names = ["symbol", "avg_adv", "group"].filter { $0 != column }
        #expect(
            throws: CSVLineError(
                file: "universe.csv", line: 1, column: column, reason: "required column missing from header")
        ) {
            try parse(names.joined(separator: ",") + "\nA,1\n")
        }
    }

    @Test func emptyFileThrows() {
        #expect(throws: CSVLineError(file: "universe.csv", line: 1, column: "", reason: "no header line")) {
            try parse("")
        }
    }

    @Test func symbolListedTwiceIsAnErrorNamingBothLines() throws {
        let parsed = try parse("symbol,avg_adv\nA,1\nB,2\n\nA,3\n")
        #expect(parsed.entries.map(\.symbol) == ["A", "B"])
        #expect(parsed.entry(for: "A")?.avgADV == ExactDecimal(mantissa: 1, scale: 0))
        #expect(parsed.errorCount == 1)
        #expect(
            parsed.errors.map(\.description) == [
                "universe.csv:5: column symbol: symbol already listed on line 2 (\"A\")"
            ])
    }

    @Test func symbolsFollowThePrintRules() throws {
        let parsed = try parse("symbol,avg_adv\nahl,1\n.A,1\nABCDEFGHIJKLMNOPQ,1\n,1\nOK,1\n")
        #expect(parsed.entries.map(\.symbol) == ["OK"])
        #expect(parsed.errors.map(\.line) == [2, 3, 4, 5])
        #expect(parsed.errors.allSatisfy { $0.column == "symbol" })
    }

    @Test(arguments: [
        ("0", "must be greater than 0"),
        ("0.000", "must be greater than 0"),
        ("-5", "not a decimal number"),
        ("+5", "not a decimal number"),
        ("1e3", "not a decimal number"),
        ("1.2.3", "not a decimal number"),
        ("abc", "not a decimal number"),
        (".", "not a decimal number"),
        ("1234567890123456789", "more than 18 digits"),
    ])
    func invalidAverageDailyVolume(_ text: String, _ reason: String) throws {
        let parsed = try parse("symbol,avg_adv\nA,\(text)\n")
        #expect(parsed.entries.isEmpty)
        #expect(
            parsed.errors == [
                CSVLineError(
                    file: "universe.csv", line: 2, column: "avg_adv", reason: "\(reason) (\(text.debugDescription))")
            ])
    }

    @Test(
        arguments: [("1", 1, 0), ("0.5", 5, 1), ("123456789012345678", 123_456_789_012_345_678, 0), ("007.50", 750, 2)]
            as [(String, Int64, Int)])
    func validAverageDailyVolume(_ text: String, _ mantissa: Int64, _ scale: Int) throws {
        let parsed = try parse("symbol,avg_adv\nA, \(text) \n")
        #expect(parsed.errors == [])
        #expect(parsed.entries.first?.avgADV == ExactDecimal(mantissa: mantissa, scale: scale))
    }

    @Test func wrongFieldCountIsAnError() throws {
        let parsed = try parse("symbol,avg_adv,group\nA,1\nB,1,g,extra\nC,1,g\n")
        #expect(parsed.entries.map(\.symbol) == ["C"])
        #expect(
            parsed.errors.map(\.description) == [
                "universe.csv:2: column group: line has 2 fields, header has 3",
                "universe.csv:3: line has 4 fields, header has 3",
            ])
    }

    @Test func invalidUTF8GroupIsAnError() throws {
        let bytes = Array("symbol,avg_adv,group\nA,1,".utf8) + [0xC3, 0x28] + Array("\nB,1,ok\n".utf8)
        let parsed = try UniverseCSV.parse(bytes, fileName: "universe.csv")
        #expect(parsed.entries.map(\.symbol) == ["B"])
        #expect(parsed.errors.first?.column == "group")
        #expect(parsed.errors.first?.line == 2)
    }

    /// `deeper analyze --universe`: a malformed universe line stops the run like a malformed print
    /// (it used to be dropped without a word), and under skipInvalid it is reported with the rest.
    @Test func analyzeInputRefusesOrReportsMalformedUniverseLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("universe-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let prints = dir.appendingPathComponent("p.csv").path
        let universe = dir.appendingPathComponent("u.csv").path
        try "symbol,time,price,size\nAAA,2025-03-12T15:00:00Z,25.00,100\n".write(toFile: prints, atomically: true, encoding: .utf8)
        try "symbol,avg_adv\nAAA,100\nBBB,abc\nAAA,200\n".write(toFile: universe, atomically: true, encoding: .utf8)

        let refused = #expect(throws: CSVErrors.self) {
            try OfflineInput.load(printsPath: prints, universePath: universe, rules: .default, skipInvalid: false)
        }
        #expect(refused?.count == 2)
        #expect(refused?.errors.map(\.line) == [3, 4])
        #expect(refused?.errors.allSatisfy { $0.file == universe } == true)

        let skipping = try OfflineInput.load(printsPath: prints, universePath: universe, rules: .default, skipInvalid: true)
        #expect(skipping.skipped.count == 2)
        #expect(skipping.avgADV["AAA"] == ExactDecimal("100"))
        #expect(skipping.avgADV["BBB"] == nil)
    }
}
