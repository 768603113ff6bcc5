import DeeperKernels
import DeeperTestSupport
import Foundation
import Testing

@testable import DeeperData

/// Issue #9's input rules: prints far ahead of the clock, stray spaces, CR-only files, and
/// `deeper analyze` on files without a usable header.
@Suite struct IngestRuleTests {
    // MARK: - Future prints

    @Test func printsFurtherAheadThanTheToleranceAreRefusedWithTheirLine() throws {
        let now = Int64(1_764_000_000_000) * Nanos.perMillisecond
        let limit = FutureTolerance(seconds: 300).limit(now: now)
        let csv = """
            symbol,time,price,size
            OFN,\(now / Nanos.perMillisecond),25.01,100
            OFN,\(now / Nanos.perMillisecond + 300_000),25.02,100
            OFN,\(now / Nanos.perMillisecond + 300_001),25.03,100
            ZZZ,9000000000000,25.04,100

            """
        let parsed = try PrintsCSV.parse(csv, fileName: "f.csv", notAfter: limit)
        #expect(parsed.prints.map(\.price) == [250_100, 250_200])
        #expect(parsed.symbols.names == ["OFN"])
        #expect(parsed.errors.map(\.line) == [4, 5])
        #expect(
            parsed.errors.last?.description
                == #"f.csv:5: column time: more than 300 s ahead of the clock (MAX_FUTURE) ("9000000000000")"#)
        // Offline reading (no limit) keeps every print, as before.
        #expect(try PrintsCSV.parse(csv, fileName: "f.csv").prints.count == 4)
    }

    @Test func theToleranceIsReadFromMaxFuture() throws {
        #expect(try FutureTolerance.fromEnvironment([:]) == FutureTolerance(seconds: 300))
        #expect(try FutureTolerance.fromEnvironment(["MAX_FUTURE": "2.5"]) == FutureTolerance(milliseconds: 2_500))
        #expect(try FutureTolerance.fromEnvironment(["MAX_FUTURE": "0"]) == FutureTolerance(seconds: 0))
        for bad in ["-1", "soon", "nan", "1e30"] {
            #expect(throws: FutureTolerance.ParseError.self) { try FutureTolerance.fromEnvironment(["MAX_FUTURE": bad]) }
        }
    }

    // MARK: - Stray spaces

    @Test func symbolsAreTrimmedOfSurroundingSpacesOnly() {
        #expect(SymbolRules.trimmed(" OFN ") == "OFN")
        #expect(SymbolRules.trimmed("AHL PRF") == "AHL PRF")
        #expect(SymbolRules.trimmed("\tOFN") == "\tOFN")
        #expect(SymbolRules.trimmed("   ") == "")
    }

    // MARK: - Line endings

    /// Old Mac exports end lines with a lone CR: read them as lines, never as one header.
    @Test func crOnlyLineEndingsAreLines() throws {
        let lf = "symbol,time,price,size,venue\nOFN,1735828200000,25.01,100,NSDQ\n\nOFN,1735828260000,25.02,200,\nAHL PRF,1735828260000,x,200,\n"
        let cr = lf.replacingOccurrences(of: "\n", with: "\r")
        let a = try PrintsCSV.parse(lf, fileName: "lf.csv")
        let b = try PrintsCSV.parse(cr, fileName: "cr.csv")
        #expect(b.prints == a.prints)
        #expect(b.prints.count == 2)
        #expect(b.errors.map(\.line) == a.errors.map(\.line))
        #expect(b.errors.map(\.line) == [5])
        let universe = try UniverseCSV.parse("symbol,avg_adv\rOFN,1000\rGAINN,\r", fileName: "u.csv")
        #expect(universe.entries.map(\.symbol) == ["OFN", "GAINN"])
    }

    // MARK: - deeper analyze

    @Test func analyzeRefusesAnEmptyFileOrABadHeaderWithFileAndLine() throws {
        let empty = try Self.file("empty.csv", "")
        let r1 = try DeeperProcess.run(["analyze", empty])
        #expect(r1.status == 65, "\(r1.stderr)")
        #expect(r1.stderr.contains("empty.csv:1: no header line"), "\(r1.stderr)")

        let header = try Self.file("header.csv", "symbol,time,cost,size\nOFN,1735828200000,25.01,100\n")
        let r2 = try DeeperProcess.run(["analyze", header])
        #expect(r2.status == 65, "\(r2.stderr)")
        #expect(r2.stderr.contains("header.csv:1: column price: required column missing from header"), "\(r2.stderr)")

        let universe = try Self.file("universe.csv", "symbol\nOFN\n")
        let r3 = try DeeperProcess.run(["analyze", DeeperProcess.path("fixtures/sample-prints.csv"), "--universe", universe])
        #expect(r3.status == 65, "\(r3.stderr)")
        #expect(r3.stderr.contains("universe.csv:1: column avg_adv"), "\(r3.stderr)")
    }

    @Test func analyzeReadsACROnlyFileAsItsLFTwin() throws {
        let lf = try String(contentsOfFile: DeeperProcess.path("fixtures/sample-prints.csv"), encoding: .utf8)
        let cr = try Self.file("mac.csv", lf.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r"))
        let a = try DeeperProcess.run(["analyze", DeeperProcess.path("fixtures/sample-prints.csv"), "--format", "csv"])
        let b = try DeeperProcess.run(["analyze", cr, "--format", "csv"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout == a.stdout)
        #expect(b.stdout.split(separator: "\n").count == 37)
    }

    static func file(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
