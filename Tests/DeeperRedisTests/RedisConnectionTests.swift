import DeeperTestSupport
import DeeperRedis
import Foundation
import Testing

/// A connection to `server` whose commands give up after 10 s, so a hung test fails instead
/// of hanging.
func connect(to server: RedisTestServer, password: String? = nil, database: Int = 0) throws -> RedisConnection {
    try RedisConnection(
        RedisConfiguration(port: server.port, password: password, database: database, commandTimeout: .seconds(10)))
}

@Suite("Commands and replies")
struct RedisCommandTests {
    @Test func ping() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        #expect(try redis.command(["PING"]) == .status("PONG"))
        #expect(redis.isConnected)
    }

    @Test(arguments: [
        "plain",
        "with spaces  and\ttabs",
        "line one\nline two\r\nline three",
        "NUL\u{0}inside\u{0}",
        "ünïcødé — 株価 📈",
        "",
    ])
    func stringValuesRoundTrip(value: String) throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let key = "key with spaces\n\(value.count)"
        #expect(try redis.command(["SET", key, value]) == .status("OK"))
        let reply = try redis.command(["GET", key])
        #expect(reply == .bulk(Array(value.utf8)))
        #expect(reply.string == value)
        #expect(try redis.command(["STRLEN", key]) == .integer(Int64(value.utf8.count)))
    }

    @Test func binaryValuesRoundTrip() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let key: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x20]
        let value: [UInt8] = Array(0...255) + [0x00, 0x00]  // every byte value, invalid UTF-8 too
        #expect(try redis.command([Array("SET".utf8), key, value]) == .status("OK"))
        let reply = try redis.command([Array("GET".utf8), key])
        #expect(reply == .bulk(value))
        #expect(reply.bytes == value)
        #expect(reply.string == nil)  // not UTF-8
    }

    @Test func integerNullAndArrayReplies() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        #expect(try redis.command(["INCR", "counter"]) == .integer(1))
        #expect(try redis.command(["INCRBY", "counter", "-5"]).int == -4)
        #expect(try redis.command(["GET", "counter"]).int == -4)  // bulk "-4"
        let missing = try redis.command(["GET", "missing"])
        #expect(missing == .null)
        #expect(missing.isNull)
        #expect(try redis.command(["RPUSH", "list", "a", "", "c"]) == .integer(3))
        let range = try redis.command(["LRANGE", "list", "0", "-1"])
        #expect(range.array?.map(\.string) == ["a", "", "c"])
        #expect(
            try redis.command(["MGET", "list", "missing", "counter"])
                == .array([.null, .null, .bulk(Array("-4".utf8))]))
        #expect(try redis.command(["LRANGE", "missing", "0", "-1"]) == .array([]))
    }

    @Test func errorInsideTransactionIsAnErrorReply() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        _ = try redis.command(["SET", "text", "abc"])
        #expect(try redis.command(["MULTI"]) == .status("OK"))
        #expect(try redis.command(["INCR", "text"]) == .status("QUEUED"))
        #expect(try redis.command(["SET", "other", "1"]) == .status("QUEUED"))
        let replies = try #require(try redis.command(["EXEC"]).array)
        #expect(replies.count == 2)
        guard case .error(let message) = replies.first else {
            Issue.record("expected an error reply, got \(replies)")
            return
        }
        #expect(message.hasPrefix("ERR"))
        #expect(replies.last == .status("OK"))
    }

    @Test func wrongTypeIsAServerErrorAndTheConnectionStaysUsable() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        _ = try redis.command(["SET", "text", "abc"])
        #expect {
            try redis.command(["LPUSH", "text", "x"])
        } throws: { error in
            guard case .server(let message) = error as? RedisError else { return false }
            return message.hasPrefix("WRONGTYPE")
        }
        #expect(redis.isConnected)
        #expect(try redis.command(["GET", "text"]).string == "abc")
        #expect(throws: RedisError.self) { try redis.command(["NO-SUCH-COMMAND"]) }
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test func withReplyReadsInPlace() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        _ = try redis.command(["RPUSH", "list", "one", "two", "three"])
        let lengths = try redis.withReply(["LRANGE", "list", "0", "-1"]) { reply in
            (0..<reply.count).map { reply[$0].bytes.count }
        }
        #expect(lengths == [3, 3, 5])
        // The body runs outside the lock, so it may use the connection again.
        let nested = try redis.withReply(["PING"]) { (_) throws(RedisError) in
            try redis.command(["ECHO", "inner"]).string
        }
        #expect(nested == "inner")
    }

    @Test func manyTasksShareOneConnection() async throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let values = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var seen: [Int64] = []
                    for _ in 0..<500 {
                        guard let value = try redis.command(["INCR", "shared"]).int else {
                            throw RedisError.protocol("INCR returned no integer")
                        }
                        seen.append(value)
                    }
                    return seen
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(try redis.command(["GET", "shared"]).int == 4000)
        // Each INCR got its own answer: no two callers read each other's replies.
        #expect(values.sorted() == Array(1...4000))
    }
}

@Suite("Authentication and databases")
struct RedisHandshakeTests {
    @Test func passwordIsSentWithAuth() throws {
        let password = "s3cret with spaces"
        let server = try RedisTestServer(password: password)
        let redis = try connect(to: server, password: password)
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test func missingPasswordGetsNoAuth() throws {
        let server = try RedisTestServer(password: "s3cret")
        let redis = try connect(to: server)
        #expect {
            try redis.command(["PING"])
        } throws: { error in
            guard case .server(let message) = error as? RedisError else { return false }
            return message.hasPrefix("NOAUTH")
        }
    }

    @Test func wrongPasswordFailsToConnect() throws {
        let server = try RedisTestServer(password: "s3cret")
        #expect {
            try connect(to: server, password: "wrong")
        } throws: { error in
            guard case .server(let message) = error as? RedisError else { return false }
            return message.hasPrefix("WRONGPASS")
        }
    }

    @Test func selectedDatabaseIsIsolated() throws {
        let server = try RedisTestServer()
        let db3 = try connect(to: server, database: 3)
        let db0 = try connect(to: server)
        _ = try db3.command(["SET", "where", "three"])
        #expect(try db0.command(["GET", "where"]) == .null)
        #expect(try db3.command(["GET", "where"]).string == "three")
        #expect(try db3.command(["DBSIZE"]) == .integer(1))
        #expect(try db0.command(["DBSIZE"]) == .integer(0))
    }

    @Test func databaseOutOfRangeIsRefused() throws {
        let server = try RedisTestServer()
        #expect(throws: RedisError.self) { try connect(to: server, database: 99) }
    }
}

@Suite("Connection failures")
struct RedisFailureTests {
    @Test func closedPortIsAConnectionError() throws {
        let port = try RedisTestServer.freeLoopbackPort()
        #expect {
            try RedisConnection(RedisConfiguration(port: port, connectTimeout: .seconds(1)))
        } throws: { error in
            guard case .connection(let message) = error as? RedisError else { return false }
            return message.contains("refused")
        }
    }

    @Test func serverLossIsAConnectionErrorAndReconnectRecovers() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        _ = try redis.command(["SET", "before", "1"])

        server.stop(signal: SIGKILL)
        #expect {
            try redis.command(["GET", "before"])
        } throws: { error in
            guard case .connection = error as? RedisError else { return false }
            return true
        }
        #expect(!redis.isConnected)
        // The dead connection keeps failing fast, whatever the call.
        #expect(throws: RedisError.self) { try redis.command(["PING"]) }
        #expect(throws: RedisError.self) { try redis.pipeline([["PING"], ["PING"]]) }
        // Reconnecting while the server is still down fails too.
        #expect(throws: RedisError.self) { try redis.reconnect() }
        #expect(throws: RedisError.self) { try redis.command(["PING"]) }

        try server.start()
        try redis.reconnect()
        #expect(redis.isConnected)
        #expect(try redis.command(["PING"]) == .status("PONG"))
        #expect(try redis.command(["GET", "before"]) == .null)  // a fresh server, no persistence
    }

    @Test func largePipelineToALostServerThrowsInsteadOfRaisingSIGPIPE() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        #expect(try redis.command(["PING"]) == .status("PONG"))
        server.stop(signal: SIGKILL)
        // About 6 MB: more than one write(2) takes, so hiredis writes again after the reset;
        // unguarded, that SIGPIPE would end the whole test process here.
        var batch = RedisCommandBatch(reservingCommands: 50_000, bytesPerCommand: 120, argumentsPerCommand: 3)
        let value = String(repeating: "x", count: 100)
        for index in 0..<50_000 {
            batch.add("SET")
            batch.add(index)
            batch.add(value)
            batch.endCommand()
        }
        #expect(throws: RedisError.self) { try redis.pipeline(batch) }
        #expect(!redis.isConnected)
    }

    @Test func reconnectRestoresAuthAndDatabase() throws {
        let server = try RedisTestServer(password: "pw")
        let redis = try connect(to: server, password: "pw", database: 2)
        server.stop()
        try server.start()
        try redis.reconnect()
        _ = try redis.command(["SET", "k", "v"])
        let db2 = try connect(to: server, password: "pw", database: 2)
        #expect(try db2.command(["GET", "k"]).string == "v")
    }

    @Test func commandTimeoutIsAConnectionError() throws {
        let server = try RedisTestServer()
        let redis = try RedisConnection(RedisConfiguration(port: server.port, commandTimeout: .milliseconds(100)))
        #expect {
            try redis.command(["BLPOP", "empty", "5"])
        } throws: { error in
            guard case .connection(let message) = error as? RedisError else { return false }
            return message.contains("timed out")
        }
        #expect(!redis.isConnected)
    }

    @Test func connectTimeoutDoesNotBoundCommands() throws {
        // The handshake runs under the connect timeout; without a command timeout, it must be
        // lifted afterwards so that a blocking command may take longer.
        let server = try RedisTestServer()
        let redis = try RedisConnection(RedisConfiguration(port: server.port, connectTimeout: .milliseconds(50)))
        #expect(try redis.command(["BLPOP", "empty", "0.2"]) == .null)
        #expect(redis.isConnected)
    }
}
