import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process a test starts and is the only one to signal (by its own pid).
///
/// Not `Foundation.Process`: on Linux its child inherits the signal mask of the dispatch
/// thread that spawns it, which blocks SIGTERM, so a child would ignore a clean stop. Here the
/// child starts with every signal unblocked and at its default action.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`; stdin is /dev/null, stdout and stderr go to the
    /// given files (created or truncated; nil = /dev/null; stderr nil = same as stdout).
    public init(
        _ executable: String, arguments: [String], environment: [String: String]? = nil,
        stdout: String? = nil, stderr: String? = nil
    ) throws {
        pid = try Self.spawn(executable, arguments: arguments, environment: environment, stdout: stdout, stderr: stderr)
    }

    /// Starts a child as `init` does and returns its pid, for owners that track it themselves.
    public static func spawn(
        _ executable: String, arguments: [String], environment: [String: String]? = nil,
        stdout: String? = nil, stderr: String? = nil
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let stderr {
            posix_spawn_file_actions_addopen(&files, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&files, 1, 2)
        }

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for entry in env { free(entry) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &files, &attributes, argv, env)
        guard status == 0 else { throw SupportError("posix_spawn \(executable) failed: errno \(status)") }
        return child
    }

    deinit {
        terminate(signal: SIGKILL)
    }

    /// The exit status once the child has exited (128 + signal when a signal ended it).
    public var status: Int32? {
        exitStatus.withLock { saved in
            if let saved { return saved }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            saved = Self.decode(raw)
            return saved
        }
    }

    public var isRunning: Bool { status == nil }

    /// Sends `signal` to the child if it still runs.
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the child to exit; nil if it still runs after `timeout`.
    public func wait(timeout: Duration) -> Int32? {
        _ = waitUntil(timeout: timeout) { !self.isRunning }
        return status
    }

    /// Sends `signal` (if it still runs) and waits for the exit.
    public func terminate(signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
        exitStatus.withLock { saved in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            saved = Self.decode(raw)
        }
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
