import DeeperTestSupport
import DeeperRedis
import Foundation
import Testing

@Suite("Configuration")
struct RedisConfigurationTests {
    @Test func emptyEnvironmentGivesTheDefaults() throws {
        let configuration = try RedisConfiguration.fromEnvironment([:])
        #expect(configuration == RedisConfiguration())
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
    }

    @Test func everyVariableIsRead() throws {
        let configuration = try RedisConfiguration.fromEnvironment([
            "REDIS_HOST": "redis.internal", "REDIS_PORT": " 6380 ", "REDIS_PASSWORD": "pw", "REDIS_DB": "3",
        ])
        #expect(configuration.host == "redis.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.password == "pw")
        #expect(configuration.database == 3)
    }

    @Test func emptyPasswordMeansNone() throws {
        #expect(try RedisConfiguration.fromEnvironment(["REDIS_PASSWORD": ""]).password == nil)
    }

    @Test func thePasswordFileIsReadWithoutItsFinalNewline() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-pw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("pw")
        try "s3 cret\r\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try RedisConfiguration.fromEnvironment(["REDIS_PASSWORD_FILE": file.path]).password == "s3 cret")
        // One source only; an unreadable or empty file is an error, never "no password".
        let empty = dir.appendingPathComponent("empty")
        try "\n".write(to: empty, atomically: true, encoding: .utf8)
        for env in [
            ["REDIS_PASSWORD_FILE": file.path, "REDIS_PASSWORD": "pw"], ["REDIS_PASSWORD_FILE": dir.appendingPathComponent("none").path],
            ["REDIS_PASSWORD_FILE": empty.path],
        ] {
            #expect(throws: RedisConfigurationError.self, "\(env)") { try RedisConfiguration.fromEnvironment(env) }
        }
    }

    @Test(arguments: [
        ("REDIS_PORT", "abc"), ("REDIS_PORT", "0"), ("REDIS_PORT", "70000"),
        ("REDIS_DB", "-1"), ("REDIS_DB", "two"), ("REDIS_HOST", "  "),
    ])
    func badValueNamesTheVariable(variable: String, value: String) {
        #expect {
            try RedisConfiguration.fromEnvironment([variable: value])
        } throws: { error in
            guard let error = error as? RedisConfigurationError else { return false }
            return error.variable == variable && error.value == value && error.description.hasPrefix(variable)
        }
    }
}

@Suite("Values")
struct RedisValueTests {
    @Test func streamIDParsing() {
        #expect(RedisStreamID("1700000000000-5") == RedisStreamID(milliseconds: 1_700_000_000_000, sequence: 5))
        #expect(RedisStreamID("42") == RedisStreamID(milliseconds: 42, sequence: 0))
        #expect(
            RedisStreamID("18446744073709551615-18446744073709551615")
                == RedisStreamID(milliseconds: .max, sequence: .max))
        for bad in ["", "-", "1-", "-1", "1-2-3", "1 -2", "a-1", "18446744073709551616-0", "+", "$"] {
            #expect(RedisStreamID(bad) == nil, "\(bad)")
        }
        #expect(RedisStreamID(milliseconds: 7, sequence: 0).description == "7-0")
        #expect(RedisStreamID("1-9")! < RedisStreamID("2-0")!)
        #expect(RedisStreamID("2-1")! > RedisStreamID("2-0")!)
    }

    @Test func replyHelpers() {
        #expect(RedisReply.bulk(Array("12".utf8)).int == 12)
        #expect(RedisReply.bulk(Array("-9223372036854775808".utf8)).int == .min)
        #expect(RedisReply.bulk(Array("9223372036854775808".utf8)).int == nil)
        #expect(RedisReply.bulk(Array("1x".utf8)).int == nil)
        #expect(RedisReply.bulk([]).int == nil)
        #expect(RedisReply.bulk(Array("-".utf8)).int == nil)
        #expect(RedisReply.status("OK").string == "OK")
        #expect(RedisReply.error("ERR x").string == nil)
        #expect(RedisReply.integer(3).string == nil)
        #expect(RedisReply.null.isNull)
        #expect(RedisReply.array([]).array == [])
        #expect(RedisReply.integer(1).array == nil)
        #expect(
            RedisReply.array([.status("OK"), .bulk([0xFF]), .null, .integer(2)]).description
                == "[+OK, <1 bytes>, nil, :2]")
    }

    @Test func errorDescriptions() {
        #expect(RedisError.server("WRONGTYPE x").description == "Redis error reply: WRONGTYPE x")
        #expect(RedisError.connection("refused").description == "Redis connection error: refused")
    }
}
