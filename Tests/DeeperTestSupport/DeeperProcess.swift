import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `deeper` executable, found beside the test bundle (`swift build --build-tests`
/// builds it there), run as a child process the test owns.
public final class DeeperProcess: Sendable {
    /// Where the executables of this build are.
    public static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("deeper")
    }

    /// The repository root (fixtures live there).
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public struct Finished: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public let child: ChildProcess
    public let logFile: URL
    private let stdoutFile: URL

    /// Starts `deeper arguments…` with `environment` added; output goes to files the test can
    /// read. Relative paths in `arguments` are the caller's business: pass absolute ones
    /// (`DeeperProcess.path("fixtures/…")`).
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw SupportError("build the executables first: swift build --build-tests (looked at \(Self.binary.path))")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        logFile = dir.appendingPathComponent("stderr.log")
        stdoutFile = dir.appendingPathComponent("stdout.log")
        child = try ChildProcess(
            Self.binary.path, arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            stdout: stdoutFile.path, stderr: logFile.path)
    }

    /// An absolute path inside the repository.
    public static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    /// Runs `deeper arguments…` to completion.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Finished {
        let p = try DeeperProcess(arguments, environment: environment)
        let status = p.child.wait(timeout: .seconds(120)) ?? -1
        return Finished(status: status, stdout: p.stdout, stderr: p.log)
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    public var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { child.isRunning }

    /// Sends `signal` to this child (only ever its own pid).
    public func signal(_ signal: Int32) { child.signal(signal) }

    /// Waits for the child to exit; nil if it is still running after `timeout`.
    public func waitForExit(timeout: Duration) -> Int32? { child.wait(timeout: timeout) }

    /// Waits until the child's stderr contains `text`.
    @discardableResult
    public func waitForLog(_ text: String, timeout: Duration = .seconds(20)) -> Bool {
        waitUntil(timeout: timeout) { self.log.contains(text) }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
public func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

public struct SupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
