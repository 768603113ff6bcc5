import ArgumentParser
import DeeperCLI
import DeeperData
import DeeperKernels
import Foundation

/// Loads a rules file, or the defaults; `DEEPER_RULES` names one when no flag does.
func loadRules(path: String?) throws -> Rules {
    guard let path = path ?? ProcessInfo.processInfo.environment["DEEPER_RULES"], !path.isEmpty else {
        return .default
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        printError("deeper: cannot read rules file \(path)")
        throw ExitStatus.noInput
    }
    do {
        return try RulesFile.parse(text, file: path)
    } catch {
        printError("deeper: \(path): \(error.key): \(error.reason)")
        throw ExitStatus.config
    }
}

/// `--as-of last | ISO-8601 | epoch-ms`.
enum AsOfArgument: ExpressibleByArgument {
    case last
    case instant(Int64)

    init?(argument: String) {
        if argument == "last" {
            self = .last
        } else if let t = TimeText.parseInstant(argument) {
            self = .instant(t)
        } else {
            return nil
        }
    }

    var asOf: AsOf {
        switch self {
        case .last: .last
        case .instant(let t): .instant(t)
        }
    }

    static var defaultValueDescription: String { "last" }
}

/// `--symbols "A,B"`, each checked against SPEC §1.
func parseSymbolList(_ text: String) throws -> [String] {
    var out: [String] = []
    for part in text.split(separator: ",") {
        let s = part.trimmingCharacters(in: .whitespaces)
        guard SymbolRules.isValid(s) else {
            throw ValidationError("--symbols: \"\(s)\" is not a valid symbol (1–16 of A–Z 0–9 space . - /, first a letter or digit)")
        }
        if !out.contains(s) { out.append(s) }
    }
    return out
}

/// `--max-future SECONDS`, else `MAX_FUTURE`, else 300 s: how far ahead of the clock a fed
/// print may be stamped.
func futureTolerance(flag: String?) throws -> FutureTolerance {
    do {
        if let flag { return try FutureTolerance(parsing: flag) }
        return try FutureTolerance.fromEnvironment(ProcessInfo.processInfo.environment)
    } catch {
        throw ValidationError(flag == nil ? "\(error)" : "--max-future: \"\(flag!)\" is not a number of seconds ≥ 0")
    }
}
