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
