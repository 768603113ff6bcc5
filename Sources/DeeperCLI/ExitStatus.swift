import ArgumentParser
import DeeperRedis
import Foundation

/// Exit statuses, after BSD sysexits(3), so scripts can tell bad data from bad usage.
public enum ExitStatus {
    /// Bad command-line usage.
    public static let usage = ExitCode(64)
    /// A malformed input line (CSV), named with file, line and column.
    public static let dataError = ExitCode(65)
    /// An input file that cannot be opened or read.
    public static let noInput = ExitCode(66)
    /// A service (Redis) that cannot be reached.
    public static let unavailable = ExitCode(69)
    /// An output file that cannot be written.
    public static let cannotCreate = ExitCode(73)
    /// A bad rules file or setting.
    public static let config = ExitCode(78)

    /// For a Redis call that failed: 78 when Redis refused the credentials (`NOAUTH`,
    /// `WRONGPASS`: the settings are wrong), else 69 (unreachable, or any other refusal).
    public static func redis(_ error: RedisError) -> ExitCode {
        error.isAuthentication ? config : unavailable
    }
}

/// Writes to standard error (diagnostics, progress and summaries never go to stdout).
public func printError(_ message: String) {
    var stream = StandardError()
    print(message, to: &stream)
}

public struct StandardError: TextOutputStream {
    public init() {}

    public mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}

/// Whether standard error is a terminal (progress lines only then).
public var stderrIsTerminal: Bool { isatty(2) != 0 }
