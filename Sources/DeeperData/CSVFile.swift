import Foundation

/// Maps (or reads) the file at `path` and hands its bytes to `body`.
///
/// Foundation stays here, outside the parsers' loops.
///
/// - Throws: `CSVFileError` when the file cannot be read, or what `body` throws.
func _withFileBytes<R>(
    _ path: String, _ body: (UnsafeRawBufferPointer) throws(CSVLineError) -> R
) throws -> R {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
        let reason = FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file"
        throw CSVFileError(file: path, reason: reason)
    }
    var result: Result<R, CSVLineError>!
    data.withUnsafeBytes { raw in
        result = Result { () throws(CSVLineError) in try body(raw) }
    }
    return try result.get()
}

/// Hands `body` the input as the tokenizer reads it: as is, unless every line ends with a lone
/// CR (old Mac exports, where the tokenizer would see one long line and no prints): then a
/// copy with each CR turned into an LF, so lines and line numbers come out as an editor shows
/// them. Costs a search for the first LF, which a normal file has at the end of its header.
func _withLFLineEndings<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    let input = bytes.assumingMemoryBound(to: UInt8.self)
    guard !input.contains(_lf), input.contains(_cr) else { return body(input) }
    let converted = input.map { $0 == _cr ? _lf : $0 }
    return converted.withUnsafeBufferPointer(body)
}
