import DeeperKernels
import PropertyBased
import Testing

@testable import DeeperData

/// The prints reader's fast paths against their general twins on the same bytes: the
/// word-at-a-time record scan against the tokenizer, the common-shape time, price and size
/// parsers against the full ones, and whole files read with and without the fast path.
/// A fast path may decline (nil), never differ.
@Suite("Prints reader fast paths")
struct PrintsFastPathTests {
    // MARK: - Record scan

    /// Pieces of fields: plain text, spaces inside and at the edges, quotes, CR, commas, high bytes.
    static let pieces = [
        "A", "B1", "PRF", " ", "", "\"", "\r", ",", "x y", "  ", "2025-01-01T00:00:00.5Z", "23.45", "é", "+", "\0",
    ]

    /// What the tokenizer's `nextRecord` reads at the start of `bytes`, and what `scanSimpleRecord` finds.
    static func readBoth(_ bytes: [UInt8], width: Int) -> (
        scan: [Range<Int>]?, lf: Int, record: [Range<Int>], clean: Bool, next: Int
    ) {
        bytes.withUnsafeBufferPointer { b in
            // Its own allocation, so a read past the end would not read a neighbour's bytes.
            let own = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, b.count))
            defer { own.deallocate() }
            _ = own.initialize(from: b)
            var tok = _UnsafeCSVTokenizer(UnsafeBufferPointer(own), startsFile: false)
            let ends = UnsafeMutablePointer<Int>.allocate(capacity: width)
            defer { ends.deallocate() }
            var scan: [Range<Int>]?
            var lf = -1
            if let found = tok.scanSimpleRecord(width: width, ends: ends) {
                #expect(b[found] == UInt8(ascii: "\n"))
                scan = (0..<width).map { k in (k == 0 ? 0 : ends[k - 1] + 1)..<ends[k] }
                lf = found
            }
            _ = tok.nextRecord()
            let record = (0..<tok.fieldCount).map { tok.field($0).start..<tok.field($0).end }
            let clean = tok.problem == nil && (0..<tok.fieldCount).allSatisfy { !tok.field($0).quoted }
            return (scan, lf, record, clean && tok.line == 2, tok.position)
        }
    }

    @Test func simpleRecordScanFindsWhatTheTokenizerReads() async {
        var found = 0
        let gen = Gen.element(of: Self.pieces).map { $0! }.array(of: 1...12)
        await propertyCheck(count: 4000, input: gen, Gen.int(in: 1...6), Gen.int(in: 0...3)) { pieces, width, ending in
            let text = pieces.joined() + ["\n", "\r\n", "", "\nNEXT,LINE\n"][ending]
            let bytes = Array(text.utf8)
            let (scan, lf, record, clean, next) = Self.readBoth(bytes, width: width)
            guard let scan else { return }
            found += 1
            #expect(clean, "\(text.debugDescription): the tokenizer saw a problem or quotes")
            #expect(scan == record, "\(text.debugDescription) width \(width)")
            #expect(next == lf + 1, "\(text.debugDescription): the next record's start")
        }
        #expect(found > 50, "records the scan took: \(found)")
    }

    @Test func simpleRecordScanTakesPlainRecordsAndDeclinesTheRest() {
        let width5 = { (s: String) in Self.readBoth(Array(s.utf8), width: 5).scan }
        #expect(width5("BTA PRF,2025-11-17T12:30:01.434Z,23.45,23,FNRA\n")?.count == 5)
        #expect(width5("BTA PRF,2025-11-17T12:30:01.434Z,23.45,23,\nX") != nil, "an empty last field")
        #expect(width5("BTA PRF,2025-11-17T12:30:01.434Z,23.45,23,FNRA") == nil, "no LF")
        #expect(width5("BTA PRF,2025-11-17T12:30:01.434Z,23.45,23,FNRA\r\n")?.last == 42..<46, "CR LF")
        #expect(width5("BTA\rPRF,2025-11-17T12:30:01.434Z,23.45,23,FNRA\n")?.first == 0..<7, "a lone CR is text")
        #expect(width5("BTA PRF,2025-11-17T12:30:01.434Z,23.45,23,FNRA\r") == nil, "CR at the end")
        #expect(width5("BTA PRF,2025-11-17T12:30:01.434Z,23.45,23,FNRA \r\n") == nil, "trailing space before CR LF")
        #expect(width5("\"BTA\",2025-11-17T12:30:01.434Z,23.45,23,FNRA\n") == nil, "quote")
        #expect(width5(" BTA,2025-11-17T12:30:01.434Z,23.45,23,FNRA\n") == nil, "leading space")
        #expect(width5("BTA ,2025-11-17T12:30:01.434Z,23.45,23,FNRA\n") == nil, "trailing space")
        #expect(width5("BTA,2025-11-17T12:30:01.434Z,23.45,23,FNRA \n") == nil, "trailing space at the end")
        #expect(width5("BTA,2025-11-17T12:30:01.434Z,23.45,23\n") == nil, "too few fields")
        #expect(width5("BTA,2025-11-17T12:30:01.434Z,23.45,23,FNRA,X\n") == nil, "too many fields")
        #expect(width5("\n,,,,,,,,,,,,\n") == nil, "blank line")
    }

    // MARK: - Field parsers

    /// Times around the common shape: every fraction length, offsets, edges of each range.
    static let timeBases = [
        "2025-11-17T12:30:01Z", "2025-11-17T12:30:01.4Z", "2025-11-17T12:30:01.434Z", "2025-11-17T23:59:59.999999999Z",
        "2025-11-17T00:00:00.0000000001Z", "2025-11-17T24:00:00Z", "2025-11-17T12:60:00Z", "2025-11-17T12:00:60Z",
        "2025-11-17T12:30:01.Z", "2025-11-17T12:30:01+01:00", "2025-11-17T12:30:01.5-05:30", "2025-11-17t12:30:01Z",
        "2025-11-17T12:30:01z", "2025-11-17T1:30:01Z", "1677-09-21T00:12:44Z", "2262-04-11T23:47:16.854775807Z",
    ]

    @Test func commonTimeShapeEqualsTheGeneralParser() async {
        var declined = 0
        var taken = 0
        let bytes = Array("0123456789:-TZ.+ xé".utf8)
        let check = { (text: [UInt8]) in
            text.withUnsafeBufferPointer { b in
                var dates = _CSVDateCache()
                // Prime the cache with the text's own date when it has one, as a file's earlier lines would.
                if b.count >= 10 { _ = try? dates.days(b) }
                var general = dates
                let expected = try? _CSVFieldParsers.parseTime(b, dates: &general)
                if let fast = _CSVFieldParsers.parseCommonISOTime(b, dates: dates) {
                    #expect(fast == expected, "\(String(decoding: text, as: UTF8.self))")
                    taken += 1
                } else {
                    declined += 1
                }
            }
        }
        for base in Self.timeBases { check(Array(base.utf8)) }
        let gen = Gen.element(of: Self.timeBases).map { $0! }
        // One byte changed or appended, or (positions past 31) the base as it is.
        await propertyCheck(count: 4000, input: gen, Gen.int(in: 0...50), Gen.element(of: bytes).map { $0! }) {
            base, position, byte in
            var text = Array(base.utf8)
            if position < text.count { text[position] = byte } else if position < 32 { text.append(byte) }
            check(text)
        }
        #expect(taken > 300 && declined > 1000, "both ways taken: \(taken) fast, \(declined) declined")
        // Values the fast path must get right, not merely agree on.
        let noon = "2025-11-17T12:30:01.434Z"
        Array(noon.utf8).withUnsafeBufferPointer { b in
            var dates = _CSVDateCache()
            _ = try? dates.days(b)
            #expect(_CSVFieldParsers.parseCommonISOTime(b, dates: dates) == 1_763_382_601_434_000_000)
        }
    }

    @Test func commonPriceAndSizeShapesEqualTheGeneralParsers() async {
        let cases = [
            "23.45", "5", ".5", "5.", ".", "", "0", "0.0000", "0.0001", "99999.9999", "100000", "00001.5", "1.00000",
            "1.23456", "12345.6789", "1234567890", "2147483647", "2147483648", "999999999", "-5", "+5", "1e3", "1..2",
        ]
        var prices = 0
        var sizes = 0
        let check = { (text: [UInt8]) in
            text.withUnsafeBufferPointer { b in
                if let fast = _CSVFieldParsers.parseCommonPriceTicks(b) {
                    #expect(fast == (try? _CSVFieldParsers.parsePriceTicks(b)), "price \(String(decoding: text, as: UTF8.self))")
                    prices += 1
                }
                if let fast = _CSVFieldParsers.parseCommonSize(b) {
                    #expect(fast == (try? _CSVFieldParsers.parseSize(b)), "size \(String(decoding: text, as: UTF8.self))")
                    sizes += 1
                }
            }
        }
        for text in cases { check(Array(text.utf8)) }
        let gen = Gen.element(of: Array("0123456789.0123456789.x-".utf8)).map { $0! }.array(of: 0...12)
        await propertyCheck(count: 4000, input: gen) { text in check(text) }
        #expect(prices > 500 && sizes > 500, "\(prices) prices and \(sizes) sizes taken fast")
        Array("23.45".utf8).withUnsafeBufferPointer { #expect(_CSVFieldParsers.parseCommonPriceTicks($0) == 234_500) }
        Array("250".utf8).withUnsafeBufferPointer { #expect(_CSVFieldParsers.parseCommonSize($0) == 250) }
    }

    // MARK: - Whole files

    static func read(_ bytes: [UInt8], fast: Bool, threads: Int = 1, notAfter: FutureLimit? = nil) throws -> PrintsCSV {
        try bytes.withUnsafeBytes { raw in
            try PrintsCSVParts.parse(
                raw, fileName: "p.csv", notAfter: notAfter, minLot: nil, threads: threads, minimumChunkBytes: 1,
                simpleRecordFastPath: fast
            ).joined()
        }
    }

    /// Random files of good lines and malformed ones of every kind read the same with the fast
    /// path and without: prints, ids, counts, and every error with its line.
    @Test(arguments: 0..<16)
    func filesReadTheSameWithAndWithoutTheFastPath(seed: Int) throws {
        let bytes = PrintsCSVPartsTests.randomFile(seed: UInt64(seed) &* 104_729, lines: 100 + seed * 40)
        let general = try Self.read(bytes, fast: false)
        PrintsCSVPartsTests.expectSame(try Self.read(bytes, fast: true), general, "seed \(seed)")
        PrintsCSVPartsTests.expectSame(try Self.read(bytes, fast: true, threads: 3), general, "seed \(seed), 3 threads")
        // A clock limit refuses some prints as too far ahead on both paths alike.
        let limit = FutureLimit(latest: 1_741_788_050_000 * Nanos.perMillisecond, tolerance: .default)
        PrintsCSVPartsTests.expectSame(
            try Self.read(bytes, fast: true, notAfter: limit), try Self.read(bytes, fast: false, notAfter: limit),
            "seed \(seed), clock limit")
    }

    /// The scale file's shape (ISO times with milliseconds, venues), with errors between good
    /// lines: the errors keep their lines and messages.
    @Test func errorsBetweenSimpleRecordsKeepTheirLinesAndMessages() throws {
        var text = "symbol,time,price,size,venue\n"
        for k in 0..<300 {
            let bad = [
                17: "ABC,2025-11-17T12:30:01.434Z,23.456789,10,FNRA", 40: "ABC,2025-11-17T25:30:01.434Z,23.45,10,FNRA",
                41: "ABC,2025-11-17T12:30:01.434Z,23.45,0,FNRA", 99: "abc,2025-11-17T12:30:01.434Z,23.45,10,FNRA",
                150: "ABC,2025-11-17T12:30:01.434Z,23.45,10,F\u{1}A", 151: "ABC,2025-11-31T12:30:01Z,23.45,10,",
            ]
            text += (bad[k] ?? "ABC,2025-11-17T12:30:\(10 + k % 50).\(k)Z,23.\(k % 100),\(k + 1),\(k % 3 == 0 ? "" : "EDGX")") + "\n"
        }
        let bytes = Array(text.utf8)
        let fast = try Self.read(bytes, fast: true)
        PrintsCSVPartsTests.expectSame(fast, try Self.read(bytes, fast: false), "scale-like")
        #expect(fast.errors.map(\.line) == [19, 42, 43, 101, 152, 153])
        #expect(fast.prints.count == 294)
        #expect(fast.prints[0] == RawPrint(symbol: 0, time: 1_763_382_610_000_000_000, price: 230_000, size: 1, venue: 0))
    }

    // MARK: - Venue table

    @Test func wordKeyCacheFindsWhatItHoldsAndTellsLengthsApart() {
        var cache = _WordKeyCache()
        #expect(cache.lookup(0x41, length: 1) == nil)
        cache.insert(0x41, length: 1, 7)
        cache.insert(0x41, length: 2, 8)  // "A\0": the same word, one byte longer
        #expect(cache.lookup(0x41, length: 1) == 7)
        #expect(cache.lookup(0x41, length: 2) == 8)
        #expect(cache.lookup(0x42, length: 1) == nil)
        // Past 64 keys it stops taking more, and still finds the ones it holds.
        for k in 0..<100 { cache.insert(UInt64(1000 + k), length: 4, UInt16(k)) }
        #expect(cache.lookup(1000, length: 4) == 0)
        #expect(cache.lookup(1061, length: 4) == 61)
        #expect(cache.lookup(1099, length: 4) == nil)
    }
}
