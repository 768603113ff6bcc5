import ArgumentParser
import DeeperRedis
import Foundation

/// Exit statuses, after BSD sysexits(3), so scripts can tell bad data from bad usage.
enum ExitStatus {
    /// Bad command-line usage.
    static let usage = ExitCode(64)
    /// A malformed input line (CSV), named with file, line and column.
    static let dataError = ExitCode(65)
    /// An input file that cannot be opened or read.
    static let noInput = ExitCode(66)
    /// A service (Redis) that cannot be reached.
    static let unavailable = ExitCode(69)
    /// An output file that cannot be written.
    static let cannotCreate = ExitCode(73)
    /// A bad rules file or setting.
    static let config = ExitCode(78)

    /// For a Redis call that failed: 78 when Redis refused the credentials (`NOAUTH`,
    /// `WRONGPASS`: the settings are wrong), else 69 (unreachable, or any other refusal).
    static func redis(_ error: RedisError) -> ExitCode {
        error.isAuthentication ? config : unavailable
    }
}

/// Writes to standard error (diagnostics, progress and summaries never go to stdout).
func printError(_ message: String) {
    var stream = StandardError()
    print(message, to: &stream)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}

/// Whether standard error is a terminal (progress lines only then).
var stderrIsTerminal: Bool { isatty(2) != 0 }
