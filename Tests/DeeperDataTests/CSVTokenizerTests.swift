import PropertyBased
import Testing

@testable import DeeperData

/// One record as the tokenizer saw it.
private struct Record: Equatable, CustomStringConvertible {
    var line: Int
    var fields: [String]
    var blank = false
    var problem: _CSVQuotingProblem? = nil

    var description: String { "\(line): \(fields)\(blank ? " blank" : "")\(problem.map { " \($0)" } ?? "")" }
}

private func tokenize(_ text: String) -> [Record] {
    tokenize(Array(text.utf8))
}

private func tokenize(_ bytes: [UInt8]) -> [Record] {
    var out: [Record] = []
    bytes.withUnsafeBufferPointer { input in
        var tok = _UnsafeCSVTokenizer(input)
        while tok.nextRecord() {
            out.append(
                Record(
                    line: tok.recordLine, fields: (0..<tok.fieldCount).map { tok.string($0) },
                    blank: tok.isBlankRecord, problem: tok.problem))
        }
    }
    return out
}

@Suite("CSV tokenizer")
struct CSVTokenizerTests {
    @Test func plainRecordsWithAndWithoutFinalNewline() {
        #expect(
            tokenize("a,b,c\n1,2,3\n") == [
                Record(line: 1, fields: ["a", "b", "c"]), Record(line: 2, fields: ["1", "2", "3"]),
            ])
        #expect(tokenize("a,b\n1,2") == [Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["1", "2"])])
        #expect(tokenize("") == [])
    }

    @Test func emptyFieldsAndTrailingComma() {
        #expect(tokenize("a,,c,\n") == [Record(line: 1, fields: ["a", "", "c", ""])])
    }

    @Test func crlfLineEndings() {
        #expect(
            tokenize("a,b\r\n1,2\r\n") == [Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["1", "2"])])
        // A CR at the very end of the input also ends the line.
        #expect(tokenize("a,b\r") == [Record(line: 1, fields: ["a", "b"])])
        // A CR that is not followed by LF is text.
        #expect(tokenize("a\rb,c\n") == [Record(line: 1, fields: ["a\rb", "c"])])
    }

    @Test func blankLinesAreBlankRecordsAndStillCount() {
        let records = tokenize("a\n\n   \r\nb\n")
        #expect(records.map(\.line) == [1, 2, 3, 4])
        #expect(records.map(\.blank) == [false, true, true, false])
        // A quoted empty field is not blank.
        #expect(tokenize("\"\"\n").first?.blank == false)
    }

    @Test func fieldsAreTrimmedOfSpacesInsideAndOutsideQuotes() {
        #expect(tokenize("  a b  ,  \" c \"  ,\t\n") == [Record(line: 1, fields: ["a b", "c", "\t"])])
    }

    @Test func quotedFieldsHoldCommasDoubledQuotesAndNewlines() {
        let records = tokenize("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"\"\nnext,\"\"\"\"\n")
        #expect(
            records == [
                Record(line: 1, fields: ["a,b", "say \"hi\"", "two\nlines", ""]),
                Record(line: 3, fields: ["next", "\""]),
            ])
    }

    @Test func severalEscapedFieldsInOneRecordKeepTheirOwnText() {
        let records = tokenize("\"x\"\"1\",plain,\"\"\"y\"\"\",\"z\"\"\"\n\"q\"\"\"\n")
        #expect(
            records == [Record(line: 1, fields: ["x\"1", "plain", "\"y\"", "z\""]), Record(line: 2, fields: ["q\""])])
    }

    @Test func quotedCRLFInsideFieldIsText() {
        #expect(
            tokenize("\"a\r\nb\",c\r\nd\r\n") == [
                Record(line: 1, fields: ["a\r\nb", "c"]), Record(line: 3, fields: ["d"]),
            ])
    }

    @Test func unterminatedQuoteEndsTheRecordAtItsLineAndLaterLinesAreRead() {
        let records = tokenize("a,\"open\nb,c\r\nd\n")
        #expect(records.count == 3)
        #expect(records[0].problem == .unterminatedQuote)
        #expect(records[0].line == 1)
        #expect(records[1] == Record(line: 2, fields: ["b", "c"]))
        #expect(records[2] == Record(line: 3, fields: ["d"]))
    }

    @Test func quoteInsideUnquotedFieldIsAProblemButTheRecordEndsRightly() {
        let records = tokenize("ab\"c,d\ne,f\n")
        #expect(records.count == 2)
        #expect(records[0].problem == .quoteInUnquotedField)
        #expect(records[0].fields.count == 2)
        #expect(records[1] == Record(line: 2, fields: ["e", "f"]))
    }

    @Test func textAfterClosingQuoteIsAProblem() {
        let records = tokenize("\"ab\"c,d\ne\n")
        #expect(records.count == 2)
        #expect(records[0].problem == .textAfterClosingQuote)
        #expect(records[1] == Record(line: 2, fields: ["e"]))
        // Spaces after the closing quote are fine.
        #expect(tokenize("\"ab\"   ,d\n") == [Record(line: 1, fields: ["ab", "d"])])
    }

    @Test func manyFieldsGrowTheFieldBuffer() {
        let fields = (0..<100).map { "f\($0)" }
        #expect(tokenize(fields.joined(separator: ",") + "\n") == [Record(line: 1, fields: fields)])
    }

    /// Fields of every length up to 20 with awkward bytes at every offset: the scan reads eight
    /// bytes at a time, so each delimiter must be found wherever it falls in a word.
    @Test func delimitersAreFoundAtEveryOffset() {
        let fillers: [String] = ["x", " ", "+", "\r", "\t", "Ä", "!", "#", ")", "-", "."]
        for filler in fillers {
            for length in 0...20 {
                for other in 0...9 {
                    // Leading/trailing spaces are trimmed, and a CR right before LF ends a line.
                    let middle =
                        String(repeating: "y", count: length / 2) + filler
                        + String(repeating: "y", count: length - length / 2)
                    let a = "A" + middle + "Z"
                    let b = String(repeating: "b", count: other)
                    let text = "\(a),\(b),\(a)\n\(b),\(a)\r\n\(a)"
                    let expected = [
                        Record(line: 1, fields: [a, b, a]), Record(line: 2, fields: [b, a]),
                        Record(line: 3, fields: [a]),
                    ]
                    #expect(
                        tokenize(text) == expected,
                        "filler \(filler.debugDescription), length \(length), other \(other)")
                }
            }
        }
    }

    @Test func quotesAfterLongUnquotedTextAreFound() {
        #expect(tokenize("abcdefghijkl\"mn,o\n").first?.problem == .quoteInUnquotedField)
        #expect(tokenize("abcdefghijklmnop,\"q\"\n") == [Record(line: 1, fields: ["abcdefghijklmnop", "q"])])
    }

    @Test func byteOrderMarkIsSkipped() {
        #expect(tokenize([0xEF, 0xBB, 0xBF] + Array("a,b\n".utf8)) == [Record(line: 1, fields: ["a", "b"])])
    }

    @Test func physicalLineCount() {
        func count(_ text: String) -> Int {
            Array(text.utf8).withUnsafeBufferPointer { input in
                var tok = _UnsafeCSVTokenizer(input)
                while tok.nextRecord() {}
                return tok.physicalLineCount
            }
        }
        #expect(count("") == 0)
        #expect(count("a") == 1)
        #expect(count("a\n") == 1)
        #expect(count("a\n\nb") == 3)
        #expect(count("\"x\ny\"\n") == 2)
        #expect(count("a,\"unterminated\n\n") == 2)
        #expect(count("\r\n\r\n") == 2)
    }
}

/// The word-at-a-time scan for the end of an unquoted field against its byte-by-byte twin.
@Suite("CSV unquoted-field scan")
struct CSVScanTests {
    /// Bytes that matter to the scan, and some that do not: the delimiters, CR and LF, bytes
    /// either side of the 0x2D word-test threshold, spaces, NUL and high bytes (UTF-8, 0xFF).
    static let alphabet: [UInt8] = [
        0x2C, 0x22, 0x0A, 0x0D, 0x20, 0x2B, 0x2D, 0x2E, 0x00, 0x41, 0x31, 0x7F, 0x80, 0xC3, 0xA9, 0xFF,
    ]

    static func scans(_ bytes: [UInt8], from: Int) -> (word: Int, reference: Int) {
        bytes.withUnsafeBufferPointer { b in
            // A copy in its own allocation, so a read past the end would not read a neighbour's bytes.
            let own = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, b.count))
            defer { own.deallocate() }
            _ = own.initialize(from: b)
            let word = _UnsafeCSVTokenizer.scanUnquoted(UnsafePointer(own.baseAddress!), from: from, count: b.count)
            return (word, _UnsafeCSVTokenizer.scanUnquotedReference(b, from: from))
        }
    }

    /// Random bytes of every length around the 8-byte word (and a few words long), from every
    /// kind of start.
    @Test func wordScanEqualsByteScan() async {
        let bytes = Gen.element(of: Self.alphabet).map { $0! }.array(of: 0...40)
        await propertyCheck(count: 3000, input: bytes, Gen.int(in: 0...40)) { bytes, start in
            let from = min(start, bytes.count)
            let (word, reference) = Self.scans(bytes, from: from)
            #expect(word == reference, "\(bytes) from \(from)")
        }
    }

    /// Field text with one special byte placed at every position of every length 0…24, from
    /// starts 0…3: the byte the word test must find in each lane, and at the tail.
    @Test func everySpecialByteAtEveryPosition() {
        for length in 0...24 {
            for position in 0..<max(1, length) {
                for special: UInt8 in [0x2C, 0x22, 0x0A, 0x0D, 0x20, 0x80] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "7"), count: length)
                    if position < length { bytes[position] = special }
                    for from in 0...min(3, length) {
                        let (word, reference) = Self.scans(bytes, from: from)
                        #expect(
                            word == reference,
                            "length \(length), 0x\(String(special, radix: 16)) at \(position), from \(from)")
                    }
                    // A CR before an LF ends the field; before anything else it is text.
                    if position + 1 < length && special == 0x0D {
                        bytes[position + 1] = 0x0A
                        let (word, reference) = Self.scans(bytes, from: 0)
                        #expect(word == reference && word == position)
                    }
                }
            }
        }
    }
}
