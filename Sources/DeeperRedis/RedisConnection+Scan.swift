extension RedisConnection {
    /// Every key matching `pattern`, by `SCAN` with `MATCH`, visited page by page.
    ///
    /// `SCAN` walks the whole keyspace in steps of about `count` keys: it never blocks the
    /// server as `KEYS` would, and it visits every key that exists from start to end of the
    /// walk (keys added or removed meanwhile may or may not be visited, and a key may come
    /// twice). `body` runs outside the connection's lock, so it may call the connection.
    ///
    /// - Throws: ``RedisError/protocol(_:)`` when a reply is not `[cursor, keys]`; what
    ///   ``command(_:)`` and `body` throw.
    public func scan(
        match pattern: String, count: Int = 1000, _ body: (String) throws(RedisError) -> Void
    ) throws(RedisError) {
        var cursor = "0"
        repeat {
            let reply = try command(["SCAN", cursor, "MATCH", pattern, "COUNT", String(count)])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array
            else {
                throw .protocol("SCAN reply is not [cursor, keys]")
            }
            cursor = next
            for key in keys {
                if let key = key.string { try body(key) }
            }
        } while cursor != "0"
    }
}
