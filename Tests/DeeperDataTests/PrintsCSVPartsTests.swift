import DeeperKernels
import Foundation
import Testing

@testable import DeeperData

/// Parsing in chunks on several threads reads a file exactly as one pass from start to end does:
/// the same prints, ids, counts, and errors with their file lines in file order, whichever chunk
/// found them; and the store built from the chunks is the store built from the one pass.
@Suite struct PrintsCSVPartsTests {
    /// Parses `bytes` in up to `threads` chunks (tiny chunks allowed), joined into one `PrintsCSV`.
    static func chunked(
        _ bytes: [UInt8], threads: Int, maxStoredErrors: Int = 1000, notAfter: FutureLimit? = nil
    ) throws -> PrintsCSV {
        try bytes.withUnsafeBytes { raw in
            try PrintsCSVParts.parse(
                raw, fileName: "p.csv", maxStoredErrors: maxStoredErrors, notAfter: notAfter, minLot: nil,
                threads: threads, minimumChunkBytes: 1
            ).joined()
        }
    }

    /// The one-pass reading (one chunk: the whole body).
    static func whole(_ bytes: [UInt8], maxStoredErrors: Int = 1000, notAfter: FutureLimit? = nil) throws -> PrintsCSV {
        try PrintsCSV.parse(bytes, fileName: "p.csv", maxStoredErrors: maxStoredErrors, notAfter: notAfter)
    }

    static func expectSame(_ a: PrintsCSV, _ b: PrintsCSV, _ note: String) {
        #expect(a.prints == b.prints, "prints: \(note)")
        #expect(a.symbols.names == b.symbols.names, "symbols: \(note)")
        #expect(a.venues.names == b.venues.names, "venues: \(note)")
        #expect(a.lineCount == b.lineCount, "lineCount: \(note)")
        #expect(a.recordCount == b.recordCount, "recordCount: \(note)")
        #expect(a.errors == b.errors, "errors: \(note)")
        #expect(a.errorCount == b.errorCount, "errorCount: \(note)")
    }

    /// A random prints file: mostly good lines, with malformed ones of every kind, blank lines,
    /// CRLF endings, quoted fields, sizes below min_lot and many symbols and venues.
    static func randomFile(seed: UInt64, lines: Int) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        var text = pick(["symbol,time,price,size,venue\n", "\u{FEFF}venue,size,price,time,symbol,extra\r\n"])
        let reordered = text.hasPrefix("\u{FEFF}")
        let symbols = (0..<Int(rng.next() % 40) + 1).map { "S\($0)\(rng.next() % 3 == 0 ? " PRA" : "")" }
        for _ in 0..<lines {
            var symbol = pick(symbols)
            var time = rng.next() % 2 == 0
                ? "2025-03-1\(rng.next() % 3)T14:\(10 + rng.next() % 50):0\(rng.next() % 10).\(rng.next() % 1000)Z"
                : String(1_741_788_000_000 + rng.next() % 100_000_000)
            var price = "\(10 + rng.next() % 20).\(rng.next() % 100)"
            var size = pick(["100", "200", "7", "19", "20", "300", "1000"])
            var venue = pick(["", "NSDQ", "fnra", "EDGX", "arca"])
            switch rng.next() % 25 {
            case 0: price = "x"
            case 1: time = "2025-02-30T14:00:00Z"
            case 2: size = "-5"
            case 3: symbol = ""
            case 4: venue = "N\"Q"
            case 5: symbol = "\"\(symbol)\""  // quoted, still fine
            case 6:
                text += pick(["\n", "  \n", "\r\n"])  // blank lines
            case 7: venue = "\u{FEFF}BOM"
            default: break
            }
            let fields = reordered ? [venue, size, price, time, symbol, "e"] : [symbol, time, price, size, venue]
            var line = fields.joined(separator: ",")
            if rng.next() % 40 == 0 { line += ",surplus" }
            if rng.next() % 60 == 0 { line = "\u{FEFF}" + line }  // a byte order mark inside the file is text
            text += line + (rng.next() % 7 == 0 ? "\r\n" : "\n")
        }
        if rng.next() % 2 == 0 { text.removeLast() }
        return Array(text.utf8)
    }

    @Test(arguments: 0..<24)
    func chunksReadAsOnePassDoes(seed: Int) throws {
        let bytes = Self.randomFile(seed: UInt64(seed) &* 7_919, lines: 50 + seed * 20)
        let expected = try Self.whole(bytes)
        #expect(expected.errorCount > 0 || seed % 5 != 0, "the files hold errors")
        for threads in [2, 3, 5, 8] {
            Self.expectSame(try Self.chunked(bytes, threads: threads), expected, "seed \(seed) threads \(threads)")
        }
        // Only the first errors in file order are kept, whichever chunks found them.
        let few = try Self.whole(bytes, maxStoredErrors: 2)
        Self.expectSame(try Self.chunked(bytes, threads: 4, maxStoredErrors: 2), few, "seed \(seed) two errors kept")
    }

    /// An error in a later chunk is named by its file line, with the same message; with errors in
    /// two chunks the first in the file comes first.
    @Test func errorsInLaterChunksKeepTheirFileLines() throws {
        var text = "symbol,time,price,size\n"
        for k in 0..<4_000 {
            let price = k == 2_999 ? "25.00001" : k == 3_500 ? "x" : "25.01"
            text += "AAA,\(1_741_788_000_000 + k),\(price),100\n"
        }
        let bytes = Array(text.utf8)
        let parsed = try Self.chunked(bytes, threads: 4)
        #expect(parsed.errors.map(\.line) == [3_001, 3_502])
        #expect(parsed.errors.first?.description == #"p.csv:3001: column price: more than 4 decimal places ("25.00001")"#)
        #expect(parsed.prints.count == 3_998)
        Self.expectSame(parsed, try Self.whole(bytes), "two errors")
        let parts = try bytes.withUnsafeBytes { raw in
            try PrintsCSVParts.parse(raw, fileName: "p.csv", minLot: 1, threads: 4, minimumChunkBytes: 1)
        }
        #expect(parts.parts.count == 4 * PrintsCSVParts.chunksPerThread, "the file was really cut")
    }

    /// A quoted field with a line break: a line start may be inside quotes, so the file is read
    /// in one piece, and reads as one pass does wherever the cuts would have fallen.
    @Test func aQuotedLineBreakFallsBackToOnePass() throws {
        var text = "symbol,time,price,size,venue\n"
        for k in 0..<200 {
            let venue = k == 100 ? "\"NS\nDQ\"" : k == 150 ? "\"never closed" : "NSDQ"
            text += "S\(k % 7),\(1_741_788_000_000 + k),25.01,100,\(venue)\n"
        }
        let bytes = Array(text.utf8)
        let expected = try Self.whole(bytes)
        #expect(expected.errorCount == 2)
        for threads in 2...9 {
            Self.expectSame(try Self.chunked(bytes, threads: threads), expected, "threads \(threads)")
        }
    }

    @Test func chunkBoundsTileTheBodyAtLineStarts() {
        let text = Array("h\nabc\n\ndefgh\nij\nk".utf8)
        text.withUnsafeBufferPointer { input in
            for chunks in 1...8 {
                let bounds = _chunkBounds(input, from: 2, chunks: chunks, minimumBytes: 1)
                #expect(bounds.first?.lowerBound == 2 && bounds.last?.upperBound == input.count)
                #expect(bounds.count <= chunks)
                for (a, b) in zip(bounds, bounds.dropFirst()) {
                    #expect(a.upperBound == b.lowerBound && input[a.upperBound - 1] == _lf, "\(chunks): \(bounds)")
                }
            }
            #expect(_chunkBounds(input, from: 2, chunks: 8, minimumBytes: 100) == [2..<input.count])
        }
    }

    /// The store scattered from the chunks (ineligible prints dropped while parsing) is the store
    /// grouped from the one pass's prints.
    @Test(arguments: 0..<8)
    func storeFromChunksIsTheStoreFromOnePass(seed: Int) throws {
        let bytes = Self.randomFile(seed: UInt64(seed) &+ 101, lines: 400)
        var rules = Rules()
        rules.minLot = 20
        let one = try Self.whole(bytes)
        let expected = PrintStore(prints: one.prints, symbols: one.symbols.names, venues: one.venues.names, rules: rules)
        for threads in [1, 3, 6] {
            let parts = try bytes.withUnsafeBytes { raw in
                try PrintsCSVParts.parse(
                    raw, fileName: "p.csv", minLot: rules.minLot, threads: threads, minimumChunkBytes: 1)
            }
            let store = parts.makeStore(rules: rules, threads: threads)
            #expect(parts.symbols == one.symbols.names && parts.errorCount == one.errorCount)
            #expect(store.symbols == expected.symbols && store.venues == expected.venues)
            #expect(store.offsets == expected.offsets, "seed \(seed) threads \(threads)")
            #expect(store.ineligibleCount == expected.ineligibleCount && parts.ineligibleCount == store.ineligibleCount)
            let (a, b) = (store.columns, expected.columns)
            #expect(a.time == b.time && a.price == b.price && a.size == b.size, "seed \(seed) threads \(threads)")
            #expect(a.venue == b.venue && a.weight == b.weight, "seed \(seed) threads \(threads)")
        }
    }
}
