import Foundation

/// Field-by-field comparison of parsed JSON: every field of `expected` must be in `actual`
/// and equal, numbers within SPEC §10.2's tolerance max(1e-9·|x|, 1e-9). Keys starting with `_`
/// and those in `ignoring` are skipped. Returns one line per mismatch.
public func jsonMismatches(_ expected: Any, _ actual: Any, path: String = "", ignoring: Set<String> = []) -> [String] {
    var out: [String] = []
    compare(expected, actual, path, ignoring, &out)
    return out
}

private func compare(_ expected: Any, _ actual: Any, _ path: String, _ ignoring: Set<String>, _ out: inout [String]) {
    switch expected {
    case let e as [String: Any]:
        guard let a = actual as? [String: Any] else { return out.append("\(path): not an object") }
        for (k, v) in e where !k.hasPrefix("_") && !ignoring.contains(k) {
            guard let av = a[k] else {
                out.append("\(path).\(k): missing")
                continue
            }
            compare(v, av, "\(path).\(k)", ignoring, &out)
        }
    case let e as [Any]:
        guard let a = actual as? [Any], a.count == e.count else { return out.append("\(path): array differs") }
        for (i, (x, y)) in zip(e, a).enumerated() { compare(x, y, "\(path)[\(i)]", ignoring, &out) }
    case is NSNull:
        if !(actual is NSNull) { out.append("\(path): expected null, got \(actual)") }
    case let e as String:
        if actual as? String != e { out.append("\(path): expected \(e), got \(actual)") }
    case let e as NSNumber:
        guard let a = actual as? NSNumber else { return out.append("\(path): expected \(e), got \(actual)") }
        let x = e.doubleValue
        let y = a.doubleValue
        if abs(x - y) > max(1e-9 * abs(x), 1e-9) { out.append("\(path): expected \(x), got \(y)") }
    default:
        out.append("\(path): unexpected value \(expected)")
    }
}

/// Parses JSON text into Foundation objects.
public func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
