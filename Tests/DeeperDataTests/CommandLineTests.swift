import DeeperTestSupport
import Foundation
import Testing

/// The `deeper` executable end to end: exit statuses, messages naming file/line/column, formats.
/// It is found beside the test bundle (`swift build --build-tests` builds it there).
@Suite struct CommandLineTests {
    /// Runs `deeper` with `arguments`; paths under `fixtures/` are made absolute.
    static func deeper(_ arguments: [String]) throws -> DeeperProcess.Finished {
        try DeeperProcess.run(arguments.map { $0.hasPrefix("fixtures/") ? DeeperProcess.path($0) : $0 })
    }

    static func temporaryFile(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-cli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A seconds flag out of range is a usage error, as the variable is, not a crash.
    @Test func workerRefusesSecondsFlagsOutOfRange() throws {
        for (flag, value) in [("--poll-timeout", "1e300"), ("--max-job-time", "0")] {
            let r = try Self.deeper(["worker", flag, value, "--redis-port", "1"])
            #expect(r.status == 64, "\(flag) \(value): \(r.stderr)")
            #expect(r.stderr.contains(flag) && r.stderr.contains("must be a positive number of seconds"), "\(r.stderr)")
        }
    }

    @Test func analyzeSampleShowsTheTable() throws {
        let r = try Self.deeper(["analyze", "fixtures/sample-prints.csv", "--universe", "fixtures/sample-universe.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("SYMBOL") == true)
        #expect(lines.count == 37)  // header + 36 symbols
        #expect(r.stderr.contains("36 symbols"))
    }

    @Test func csvAndTopAgreeWithTheTable() throws {
        let csv = try Self.deeper(["analyze", "fixtures/sample-prints.csv", "--format", "csv", "--top", "5"])
        #expect(csv.status == 0)
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.first == "symbol,last_price,god,rod,grpan,pan_1d,rwvap_1d,srpan_score,tick_count")
        #expect(rows.count == 6)
        let table = try Self.deeper(["analyze", "fixtures/sample-prints.csv", "--top", "5"])
        let firstSymbolInTable = table.stdout.split(separator: "\n")[1].split(separator: " ").prefix(2).joined(separator: " ")
        #expect(rows[1].hasPrefix(firstSymbolInTable.split(separator: " ").first!))
    }

    @Test func malformedLineFailsWithFileLineAndColumn() throws {
        let path = try Self.temporaryFile(
            "bad.csv", "symbol,time,price,size,venue\nAAA,2025-03-12T14:00:00Z,25.00,100,NSDQ\nAAA,2025-03-12T14:01:00Z,25.00001,100,NSDQ\n")
        let r = try Self.deeper(["analyze", path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("bad.csv:3: column price"), "\(r.stderr)")
        let skipped = try Self.deeper(["analyze", path, "--skip-invalid"])
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("skipped 1 malformed line"))
        #expect(skipped.stdout.contains("AAA"))
    }

    /// A file big enough to be parsed in two chunks (1 MiB each at least) with a malformed line
    /// in each: the same exit status, messages (file lines) and results on 1 thread or 2, the
    /// first error in the file reported first.
    @Test func malformedLinesInLaterChunksAreReportedAsOnOneThread() throws {
        var text = "symbol,time,price,size,venue\n"
        for k in 0..<90_000 {
            let price = k == 30_000 ? "25.00001" : k == 80_000 ? "x" : "25.\(k % 90 + 10)"
            text += "S\(k % 17) PRA,\(1_741_788_000_000 + k * 1_000),\(price),\(100 + k % 5 * 100),NSDQ\n"
        }
        let path = try Self.temporaryFile("chunks.csv", text)
        #expect(text.utf8.count > 3 << 20, "big enough for two chunks of at least 1 MiB")
        let two = try Self.deeper(["analyze", path, "--threads", "2"])
        #expect(two.status == 65)
        let lines = two.stderr.split(separator: "\n")
        #expect(lines.first?.hasSuffix("chunks.csv:30002: column price: more than 4 decimal places (\"25.00001\")") == true, "\(two.stderr)")
        #expect(lines.dropFirst().first?.hasSuffix("chunks.csv:80002: column price: not a decimal number (\"x\")") == true, "\(two.stderr)")
        let one = try Self.deeper(["analyze", path, "--threads", "1"])
        #expect(one.status == 65 && one.stderr == two.stderr)

        let skippedTwo = try Self.deeper(["analyze", path, "--threads", "2", "--skip-invalid", "--format", "csv"])
        let skippedOne = try Self.deeper(["analyze", path, "--threads", "1", "--skip-invalid", "--format", "csv"])
        #expect(skippedTwo.status == 0 && skippedOne.status == 0)
        #expect(skippedTwo.stderr.contains("skipped 2 malformed line(s); the first:\n  \(path):30002: column price"), "\(skippedTwo.stderr)")
        #expect(skippedTwo.stdout == skippedOne.stdout && skippedTwo.stdout.split(separator: "\n").count == 18)
        #expect(skippedTwo.stderr.split(separator: "\n").dropLast() == skippedOne.stderr.split(separator: "\n").dropLast())
    }

    @Test func missingFileBadRulesAndBadFlags() throws {
        #expect(try Self.deeper(["analyze", "no/such/file.csv"]).status == 66)
        let rules = try Self.temporaryFile("rules.yaml", "weights:\n  lit: lots\n")
        let badRules = try Self.deeper(["analyze", "fixtures/sample-prints.csv", "--rules", rules])
        #expect(badRules.status == 78)
        #expect(badRules.stderr.contains("weights.lit"))
        let badAsOf = try Self.deeper(["analyze", "fixtures/sample-prints.csv", "--as-of", "yesterday"])
        #expect(badAsOf.status == 64)
        let badSymbol = try Self.deeper(["analyze", "fixtures/sample-prints.csv", "--symbols", "OK,BAD!"])
        #expect(badSymbol.status == 64)
        #expect(badSymbol.stderr.contains("BAD!"))
    }

    @Test func jsonIsTheJobResultShape() throws {
        let r = try Self.deeper([
            "analyze", "fixtures/known-answers/prints.csv", "--format", "json", "--as-of", "2025-03-12T15:00:00Z",
            "--symbols", "KA TWO,NOPE",
        ])
        #expect(r.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["success"] as? Bool == true)
        #expect(object["job_id"] as? String == "local")
        #expect(object["total_symbols"] as? Int == 2)
        let data = try #require(object["data"] as? [String: Any])
        let two = try #require(data["KA TWO"] as? [String: Any])
        #expect((two["last_price"] as? NSNumber)?.doubleValue == 25.10)
        let nope = try #require(data["NOPE"] as? [String: Any])
        #expect(nope["timestamp"] is NSNull)
    }

    @Test func rulesPrintsAFileThatChecksClean() throws {
        let r = try Self.deeper(["rules"])
        #expect(r.status == 0)
        let path = try Self.temporaryFile("default-rules.yaml", r.stdout)
        let check = try Self.deeper(["rules", "--check", path])
        #expect(check.status == 0)
        #expect(check.stdout == r.stdout)
    }

    @Test func generateIsDeterministic() throws {
        let a = try Self.deeper(["generate", "--symbols", "3", "--days", "2", "--seed", "9"])
        let b = try Self.deeper(["generate", "--symbols", "3", "--days", "2", "--seed", "9"])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.hasPrefix("symbol,time,price,size,venue\n"))
    }
}
