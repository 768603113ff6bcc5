// libFuzzer target for the prints CSV reader (DeeperData): `scripts/fuzz`.
//
// Any bytes: the reader either refuses the header (a `CSVLineError`) or returns prints that
// obey SPEC §1, counts every record as a print or an error, and reads its own valid prints
// back, written as CSV, to the same prints (the word-at-a-time tokenizer, quoting, trimming,
// ISO times, tick prices and line endings all in play); and parsed in chunks on several
// threads, reads exactly as the one pass does; and read without the fast path for simple
// records, reads the same again.
import DeeperData
import DeeperKernels
import Foundation
import FuzzDriver

/// One input: see above.
func fuzzPrintsCSV(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    guard let parsed = try? PrintsCSV.parse(bytes, fileName: "fuzz.csv") else { return 0 }
    check(parsed.recordCount == parsed.prints.count + parsed.errorCount, "records = prints + errors")
    check(parsed.errors.count == min(parsed.errorCount, PrintsCSV.defaultMaxStoredErrors), "errors kept")
    for p in parsed.prints {
        let symbol = parsed.symbols.names[Int(p.symbol)]
        check(SymbolRules.isValid(symbol), "valid symbol \(symbol)")
        check(p.size >= 1, "size ≥ 1")
        check(p.price > 0, "price > 0")
    }
    // Every record through the general path (no fast path for simple records): the same reading.
    guard
        let general = try? PrintsCSVParts.parse(
            bytes, fileName: "fuzz.csv", minLot: nil, threads: 1, chunks: 1, simpleRecordFastPath: false)
    else { fatalError("the general path refused a header the fast one read") }
    check(general.symbols == parsed.symbols.names && general.venues == parsed.venues.names, "general: same ids")
    check(general.lineCount == parsed.lineCount && general.recordCount == parsed.recordCount, "general: same counts")
    check(general.errors == parsed.errors && general.errorCount == parsed.errorCount, "general: same errors")
    check(general.parts.flatMap(\.prints) == parsed.prints, "general: same prints")
    // In chunks (as many as the lines allow, up to 5; on this thread, so that a run stays
    // fast; the unit tests cover threads): read as the one pass did.
    let parts = try? PrintsCSVParts.parse(
        bytes, fileName: "fuzz.csv", minLot: nil, threads: 1, chunks: 5, minimumChunkBytes: 1)
    guard let parts else { fatalError("chunks refused a header the one pass read") }
    check(parts.symbols == parsed.symbols.names && parts.venues == parsed.venues.names, "chunks: same ids")
    check(parts.lineCount == parsed.lineCount && parts.recordCount == parsed.recordCount, "chunks: same counts")
    check(parts.errors == parsed.errors && parts.errorCount == parsed.errorCount, "chunks: same errors")
    let joined = parts.parts.flatMap { part in
        part.prints.map { p in
            RawPrint(
                symbol: part.symbolIDs[Int(p.symbol)], time: p.time, price: p.price, size: p.size,
                venue: part.venueIDs[Int(p.venue)])
        }
    }
    check(joined == parsed.prints, "chunks: same prints")
    // Round trip: the valid prints, written back (every field quoted), read to the same prints.
    var text = "symbol,time,price,size,venue\n"
    for p in parsed.prints {
        text += quoted(parsed.symbols.names[Int(p.symbol)]) + "," + quoted(Nanos.iso8601(p.time)) + ","
            + quoted(PriceFormat.decimal(p.price)) + "," + quoted(String(p.size)) + ","
            + quoted(parsed.venues.names[Int(p.venue)]) + "\n"
    }
    guard let again = try? PrintsCSV.parse(text, fileName: "again.csv") else {
        fatalError("the reader refused its own prints written back:\n\(text)")
    }
    check(again.errorCount == 0, "written back without errors: \(again.errors.prefix(3))")
    check(again.prints.count == parsed.prints.count, "as many prints back")
    for (a, b) in zip(parsed.prints, again.prints) {
        check(a.time == b.time && a.price == b.price && a.size == b.size, "same print \(a) \(b)")
        check(parsed.symbols.names[Int(a.symbol)] == again.symbols.names[Int(b.symbol)], "same symbol")
        check(parsed.venues.names[Int(a.venue)] == again.venues.names[Int(b.venue)], "same venue")
    }
    return 0
}

/// RFC 4180 quoting.
func quoted(_ field: String) -> String {
    "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// The entry point (see `runFuzzer`).
@main enum FuzzPrintsCSV {
    static func main() { runFuzzer(fuzzPrintsCSV) }
}
