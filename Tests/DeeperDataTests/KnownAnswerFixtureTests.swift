import DeeperData
import Foundation
import Testing

@testable import DeeperKernels

/// `fixtures/known-answers/`: hand-worked numbers (see the README there) through the whole
/// offline path — CSV parsing, the store, the kernels and the JSON writer — on the fast path
/// (the batch engine, on one and two threads) and on the reference.
@Suite struct KnownAnswerFixtureTests {
    enum Path: String, CaseIterable, CustomTestStringConvertible {
        case fastOneThread = "fast, 1 thread"
        case fastTwoThreads = "fast, 2 threads"
        case reference

        var testDescription: String { rawValue }
    }

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/known-answers")

    @Test(arguments: Path.allCases)
    func engineReproducesHandWorkedAnswers(path: Path) throws {
        let expectedData = try Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: expectedData) as? [String: Any])
        let asOf = try #require(TimeText.parseInstant(expected["as_of"] as! String))
        let input = try OfflineInput.load(
            printsPath: Self.folder.appendingPathComponent("prints.csv").path,
            universePath: Self.folder.appendingPathComponent("universe.csv").path, rules: .default,
            skipInvalid: false)
        let (symbols, requests) = input.requests(for: nil)
        #expect(symbols == ["KA ONE", "KA TWO", "KA LATE"])
        let parameters = AnalysisParameters()
        let metrics: [SymbolMetrics]
        switch path {
        case .fastOneThread, .fastTwoThreads:
            metrics = BatchEngine(threads: path == .fastOneThread ? 1 : 2).run(
                store: input.store, requests: requests, asOf: .instant(asOf), parameters: parameters)
            // The fast path computed every symbol itself (none went to the reference).
            let workspace = KernelWorkspace()
            for r in requests {
                _ = workspace.analyzeSymbol(
                    input.store.columns, range: r.storeIndex.map { input.store.range(ofSymbol: $0) } ?? 0..<0,
                    avgADV: r.avgADV, asOf: .instant(asOf), parameters: parameters)
            }
            #expect(workspace.referenceFallbacks == 0)
        case .reference:
            metrics = requests.map { r in
                ReferenceKernels.analyzeSymbol(
                    input.store.columns, range: r.storeIndex.map { input.store.range(ofSymbol: $0) } ?? 0..<0,
                    avgADV: r.avgADV, asOf: .instant(asOf), parameters: parameters)
            }
        }
        let json = ResultJSON.jobResult(
            jobID: "local", symbols: symbols, metrics: metrics, processedCount: symbols.count, finishedAt: 0)
        let actual = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(actual["processed_count"] as? Int == 3)
        #expect(actual["total_symbols"] as? Int == 3)
        var mismatches: [String] = []
        Self.compare(expected["data"]!, actual["data"]!, path: "data", into: &mismatches)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    /// Every field of `expected` must be in `actual` and equal (doubles within SPEC §10.2's tolerance).
    static func compare(_ expected: Any, _ actual: Any, path: String, into out: inout [String]) {
        switch expected {
        case let e as [String: Any]:
            guard let a = actual as? [String: Any] else { return out.append("\(path): not an object") }
            for (k, v) in e where !k.hasPrefix("_") {
                guard let av = a[k] else {
                    out.append("\(path).\(k): missing")
                    continue
                }
                compare(v, av, path: "\(path).\(k)", into: &out)
            }
        case is NSNull:
            if !(actual is NSNull) { out.append("\(path): expected null, got \(actual)") }
        case let e as String:
            if actual as? String != e { out.append("\(path): expected \(e), got \(actual)") }
        case let e as NSNumber:
            guard let a = actual as? NSNumber, !(actual is NSNull) else {
                return out.append("\(path): expected \(e), got \(actual)")
            }
            let x = e.doubleValue
            let y = a.doubleValue
            if abs(x - y) > max(1e-9 * abs(x), 1e-9) { out.append("\(path): expected \(x), got \(y)") }
        default:
            out.append("\(path): unexpected expected value \(expected)")
        }
    }
}
