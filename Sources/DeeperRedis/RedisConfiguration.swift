#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where and how a ``RedisConnection`` connects.
///
/// The defaults match the deployment's (README, "Running the system"): a local Redis on 6379,
/// no password, database 0.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address of the server.
    public var host: String
    /// TCP port of the server.
    public var port: Int
    /// Sent with `AUTH` right after connecting; `nil` sends no `AUTH`.
    public var password: String?
    /// Selected with `SELECT` right after connecting when it is not 0.
    public var database: Int
    /// Bounds the TCP connect and the `AUTH`/`SELECT` handshake.
    public var connectTimeout: Duration
    /// Bounds each socket read and write of a command; `nil` waits forever.
    ///
    /// A blocking command (`BLMOVE`, `XREAD BLOCK`) must be given less time than this, or the
    /// read times out and the connection is lost.
    public var commandTimeout: Duration?

    /// - Precondition: `connectTimeout` and `commandTimeout` are positive, `port` is in
    ///   1...65535 and `database` is not negative.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration? = nil
    ) {
        precondition((1...65535).contains(port), "port \(port) is outside 1...65535")
        precondition(database >= 0, "database must not be negative")
        precondition(connectTimeout > .zero, "connectTimeout must be positive")
        precondition(commandTimeout.map { $0 > .zero } ?? true, "commandTimeout must be positive")
        self.host = host
        self.port = port
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Reads `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD` and `REDIS_DB`; an unset variable
    /// keeps the default.
    ///
    /// An empty `REDIS_PASSWORD` counts as unset, since deployment files often write
    /// `REDIS_PASSWORD=` for "no password". Timeouts keep their defaults: the caller sets them.
    ///
    /// - Throws: ``RedisConfigurationError`` naming the first variable whose value is unusable
    ///   (an empty host, a port outside 1...65535, a negative or non-numeric database).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RedisConfigurationError) -> RedisConfiguration {
        var configuration = RedisConfiguration()
        if let host = environment["REDIS_HOST"] {
            let trimmed = host._trimmingSpaces()
            guard !trimmed.isEmpty else {
                throw RedisConfigurationError(variable: "REDIS_HOST", value: host, reason: "is empty")
            }
            configuration.host = trimmed
        }
        if let text = environment["REDIS_PORT"] {
            guard let port = Int(text._trimmingSpaces()), (1...65535).contains(port) else {
                throw RedisConfigurationError(variable: "REDIS_PORT", value: text, reason: "is not a port in 1...65535")
            }
            configuration.port = port
        }
        if let password = environment["REDIS_PASSWORD"], !password.isEmpty {
            configuration.password = password
        }
        // The file keeps the password out of `ps` and of the process's environment listing.
        if let path = environment["REDIS_PASSWORD_FILE"], !path.isEmpty {
            guard environment["REDIS_PASSWORD"].map({ $0.isEmpty }) ?? true else {
                throw RedisConfigurationError(
                    variable: "REDIS_PASSWORD_FILE", value: path, reason: "is set beside REDIS_PASSWORD: set one of them")
            }
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw RedisConfigurationError(variable: "REDIS_PASSWORD_FILE", value: path, reason: "cannot be read")
            }
            // An editor's final newline is not part of the password.
            var password = Substring(contents)
            while let last = password.last, last.isNewline { password.removeLast() }
            guard !password.isEmpty else {
                throw RedisConfigurationError(variable: "REDIS_PASSWORD_FILE", value: path, reason: "names an empty file")
            }
            configuration.password = String(password)
        }
        if let text = environment["REDIS_DB"] {
            guard let database = Int(text._trimmingSpaces()), database >= 0 else {
                throw RedisConfigurationError(
                    variable: "REDIS_DB", value: text, reason: "is not a database number (0 or more)")
            }
            configuration.database = database
        }
        return configuration
    }
}

/// An environment variable that ``RedisConfiguration/fromEnvironment(_:)`` could not use.
///
/// `description` reads `REDIS_PORT="abc" is not a port in 1...65535`.
public struct RedisConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The variable's name, such as `REDIS_PORT`.
    public var variable: String
    /// Its value as found.
    public var value: String
    /// Why it cannot be used.
    public var reason: String

    public init(variable: String, value: String, reason: String) {
        self.variable = variable
        self.value = value
        self.reason = reason
    }

    public var description: String { "\(variable)=\"\(value)\" \(reason)" }
}

extension String {
    /// Without leading and trailing spaces and tabs (a stray one in an env file is common).
    fileprivate func _trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
