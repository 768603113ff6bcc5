import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private `redis-server` for one test: loopback only, a free port, no persistence, a
/// temporary directory, and gone when the test is.
///
/// Self-contained on purpose (Foundation and POSIX sockets only, no Redis client), so any
/// test target can copy it or share it. It can be stopped and started again on the same
/// port, to play a Redis restart under a client:
///
/// ```swift
/// let server = try RedisTestServer()
/// defer { server.stop() }
/// // … connect to 127.0.0.1:server.port …
/// server.stop()           // or server.stop(signal: SIGKILL) for a crash
/// try server.start()      // same port, empty data
/// ```
///
/// Only the pid this object started is ever signalled. `redis-server` is found on `PATH`
/// (or at `$REDIS_SERVER`).
public final class RedisTestServer: Sendable {
    /// The loopback port the server listens on, kept across restarts.
    public let port: Int
    /// The `requirepass` the server was started with, if any.
    public let password: String?
    /// The temporary `--dir`; holds `redis.log`.
    public let directory: URL

    private let extraArguments: [String]
    /// The running server's pid; 0 when none runs.
    private let pid: Mutex<pid_t>

    /// Starts a server on a free loopback port and waits until it answers.
    ///
    /// - Parameters:
    ///   - password: started with `--requirepass` when given.
    ///   - extraArguments: further `redis-server` options, e.g. `["--maxmemory", "10mb"]`.
    public init(password: String? = nil, extraArguments: [String] = []) throws {
        self.password = password
        self.extraArguments = extraArguments
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("deeper-redis-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        // Another process can take the port between our probe and redis-server's bind;
        // then redis-server exits at once and we try another port.
        var lastError: Error = ServerError("could not start redis-server")
        for _ in 0..<5 {
            do {
                let candidate = try Self.freeLoopbackPort()
                let child = try Self.launch(
                    port: candidate, password: password, extraArguments: extraArguments,
                    directory: directory)
                self.port = candidate
                self.pid = Mutex(child)
                return
            } catch {
                lastError = error
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw lastError
    }

    deinit {
        stop(signal: SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether the server process this object started is running.
    public var isRunning: Bool {
        pid.withLock { pid in
            if pid != 0 && Self.hasExited(pid) { pid = 0 }
            return pid != 0
        }
    }

    /// Starts the server again on the same port (after ``stop(signal:)``), with empty data,
    /// and waits until it answers. Does nothing when it is running.
    public func start() throws {
        guard !isRunning else { return }
        let child = try Self.launch(
            port: port, password: password, extraArguments: extraArguments,
            directory: directory)
        pid.withLock { $0 = child }
    }

    /// Sends `signal` to the server's pid (SIGTERM: a clean shutdown; SIGKILL: a crash) and
    /// waits for it to exit. Does nothing when it is not running.
    public func stop(signal: Int32 = SIGTERM) {
        pid.withLock { pid in
            guard pid != 0 else { return }
            Self.terminate(pid, signal: signal)
            pid = 0
        }
    }

    // MARK: - Launching

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private static func launch(
        port: Int, password: String?, extraArguments: [String], directory: URL
    ) throws -> pid_t {
        let log = directory.appendingPathComponent("redis.log")
        try? FileManager.default.removeItem(at: log)  // A restart must not read the last run's lines.
        let arguments =
            [
                "--port", String(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--logfile", log.path, "--daemonize", "no",
            ] + (password.map { ["--requirepass", $0] } ?? []) + extraArguments
        let child = try ChildProcess.spawn(try redisServerExecutable(), arguments: arguments)

        // Ready when *our* server says so in its own log (a PING alone could be answered by
        // another server that took the port) and answers. Polls every 10 ms: redis-server
        // is usually up within 20–50 ms.
        let deadline = ContinuousClock.now + .seconds(10)
        func isReady() -> Bool {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.contains("Ready to accept connections") && answersPing(port: port)
        }
        while !isReady() {
            if hasExited(child) || ContinuousClock.now > deadline {
                terminate(child, signal: SIGKILL)
                let tail = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(5)
                throw ServerError(
                    "redis-server on port \(port) did not come up: "
                        + (tail?.joined(separator: " | ") ?? "no log"))
            }
            usleep(10_000)
        }
        return child
    }

    /// Whether `pid` (our child) has exited; reaps it if so.
    private static func hasExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) != 0
    }

    /// Sends `signal` to `pid` (our child) and waits for it to exit.
    private static func terminate(_ pid: pid_t, signal: Int32) {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == 0 else { return }  // Already gone (and now reaped).
        kill(pid, signal)
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// `redis-server` from `$REDIS_SERVER`, else the first on `PATH`.
    private static func redisServerExecutable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["REDIS_SERVER"] { return explicit }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ServerError("redis-server not found on PATH (apt-get install redis-server, or set REDIS_SERVER)")
    }

    // MARK: - Sockets

    /// A loopback port that was free a moment ago: the kernel picks one for a socket bound
    /// to port 0, and we close it again.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw ServerError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw ServerError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something on `port` answers an inline `PING` like Redis: `+PONG`, or
    /// `-NOAUTH` when a password is required.
    public static func answersPing(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // A server that accepts but never answers must not hang the test.
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        let ping = Array("PING\r\n".utf8)
        guard send(fd, ping, ping.count, Int32(MSG_NOSIGNAL)) == ping.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let received = recv(fd, &reply, reply.count, 0)
        guard received > 0 else { return false }
        let text = String(decoding: reply[..<received], as: UTF8.self)
        return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
    }

    private static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1
        return address
    }
}
