import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `deeper` executable, found beside the test bundle (`swift build --build-tests`
/// builds it there, with `deeper-api`, which `deeper serve` runs), run as a child process the
/// test owns.
public final class DeeperProcess: Sendable {
    /// Where the executables of this build are.
    public static var directory: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    /// `deeper`.
    public static var binary: URL { directory.appendingPathComponent("deeper") }

    /// `deeper-api`, the HTTP server that `deeper serve` runs.
    public static var apiBinary: URL { directory.appendingPathComponent("deeper-api") }

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
        for needed in arguments.first == "serve" ? [Self.binary, Self.apiBinary] : [Self.binary] {
            guard FileManager.default.isExecutableFile(atPath: needed.path) else {
                throw SupportError("build the executables first: swift build --build-tests (looked at \(needed.path))")
            }
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

extension DeeperProcess {
    /// Starts `deeper worker` named `name` on the Redis at `redisPort` (two compute threads, 1 s
    /// polls) and waits for its start-up line.
    ///
    /// - Parameter computePriority: `--compute-priority`, `normal` unless a test says otherwise
    ///   (nil: the worker's default). The tests run many processes side by side, Chromium's
    ///   virtual-time page load among them, and those would starve a worker at `idle`.
    public static func startWorker(
        _ name: String, redisPort: Int, computePriority: String? = "normal", _ extra: [String] = []
    ) throws -> DeeperProcess {
        let priority = computePriority.map { ["--compute-priority", $0] } ?? []
        let w = try DeeperProcess(
            ["worker", "--name", name, "--poll-timeout", "1", "--threads", "2", "--redis-port", String(redisPort)]
                + priority + extra)
        guard w.waitForLog("Worker \(name) started") else {
            throw SupportError("worker \(name) did not start:\n\(w.log)")
        }
        return w
    }
}

/// How one thread of a process is scheduled, read from `/proc/<pid>/task/<tid>/stat`.
public struct ThreadScheduling: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// `SCHED_OTHER` 0, `SCHED_BATCH` 3, `SCHED_IDLE` 5.
    public var policy: Int
    public var nice: Int

    public var description: String { "\(name): policy \(policy), nice \(nice)" }

    /// Every thread of process `pid` (Linux only; empty elsewhere or once it is gone).
    public static func threads(of pid: pid_t) -> [ThreadScheduling] {
        let tasks = "/proc/\(pid)/task"
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return [] }
        return tids.compactMap { tid in
            guard let stat = try? String(contentsOfFile: "\(tasks)/\(tid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm) ": state is field 0, nice field 16, policy field 38.
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 38, let nice = Int(fields[16]), let policy = Int(fields[38]) else { return nil }
            return ThreadScheduling(name: String(stat[stat.index(after: open)..<close]), policy: policy, nice: nice)
        }
    }
}
