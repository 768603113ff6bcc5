import ArgumentParser
import DeeperRedis
import Foundation

/// `--redis-host` etc.: override `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `REDIS_DB`.
public struct RedisOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("redis-host"), help: "Redis host (default $REDIS_HOST, else 127.0.0.1).")
    public var host: String?

    @Option(name: .customLong("redis-port"), help: "Redis port (default $REDIS_PORT, else 6379).")
    public var port: Int?

    @Option(name: .customLong("redis-password"), help: "Redis password (default $REDIS_PASSWORD).")
    public var password: String?

    @Option(name: .customLong("redis-db"), help: "Redis database number (default $REDIS_DB, else 0).")
    public var database: Int?

    /// The environment's Redis settings, overridden by the flags given.
    public func configuration() throws -> RedisConfiguration {
        var c: RedisConfiguration
        do {
            c = try RedisConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        if let host { c.host = host }
        if let port { c.port = port }
        if let password { c.password = password }
        if let database { c.database = database }
        return c
    }

    /// A connection that Redis has accepted: a `PING` first, so that a server that wants a
    /// password says `NOAUTH` here (exit 78) rather than to the first write, and a command
    /// that writes never reports work Redis refused.
    public func connect() throws -> RedisConnection {
        let c = try configuration()
        do {
            let connection = try RedisConnection(c)
            _ = try connection.command(["PING"])
            return connection
        } catch {
            if error.isAuthentication {
                printError("deeper: Redis at \(c.host):\(c.port) refused the password: \(error)")
            } else {
                printError("deeper: cannot reach Redis at \(c.host):\(c.port): \(error)")
            }
            throw ExitStatus.redis(error)
        }
    }
}
