/// Why a Redis call failed, sorted by what the caller must do next.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection failed: refused, reset, closed by the server (EOF), or timed out.
    ///
    /// The connection is unusable from then on and every later call throws this again;
    /// call ``RedisConnection/reconnect()`` (with back-off) to go on. A command that was in
    /// flight may or may not have run on the server.
    case connection(String)
    /// The server answered with an error reply (`WRONGTYPE …`, `NOAUTH …`, `ERR …`); the text
    /// is the server's, verbatim. The connection is still fine.
    case server(String)
    /// hiredis could not parse what the server sent, or a reply did not have the shape the
    /// call expects (a stream entry without an ID, say).
    ///
    /// A parse failure inside hiredis leaves the connection unusable (reconnect); a reply of
    /// an unexpected shape was read whole, so the connection is still fine.
    case `protocol`(String)

    public var description: String {
        switch self {
        case .connection(let message): "Redis connection error: \(message)"
        case .server(let message): "Redis error reply: \(message)"
        case .protocol(let message): "Redis protocol error: \(message)"
        }
    }
}

extension RedisError {
    /// An error reply that says "not now" rather than "never": `LOADING` (a restarted server
    /// reading its data), `BUSY` (a script running), `MASTERDOWN` and `READONLY` (during a
    /// failover). The command did not run; the same command later may succeed.
    public var isTransient: Bool {
        guard case .server(let text) = self else { return false }
        return Self.transientPrefixes.contains { text.hasPrefix($0) }
    }

    static let transientPrefixes = ["LOADING", "BUSY", "MASTERDOWN", "READONLY"]

    /// A refusal of the credentials: `NOAUTH` (a password is needed), `WRONGPASS`, or a
    /// password sent to a server that has none. A configuration error, not an outage.
    public var isAuthentication: Bool {
        guard case .server(let text) = self else { return false }
        return text.hasPrefix("NOAUTH") || text.hasPrefix("WRONGPASS") || text.hasPrefix("ERR invalid password")
            || text.hasPrefix("ERR AUTH") || text.hasPrefix("ERR Client sent AUTH")
    }
}
