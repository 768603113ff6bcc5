import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperWorker
import Foundation
import Testing

/// Job input rules of issue #9: symbols trimmed as CSV fields are, oversized jobs refused
/// whole, and reasons that quote only a short prefix of a bad value.
@Suite struct JobInputBoundsTests {
    func parse(_ s: String) throws(JobRequest.Malformed) -> JobRequest { try JobRequest.parse(Array(s.utf8)) }

    @Test func jobSymbolsAreTrimmedOfSurroundingSpaces() throws {
        let j = try parse(#"{"job_id":"x","symbols":["OFN ", " OFN", "AHL PRF", " GAINN "]}"#)
        #expect(j.symbols == ["OFN", "AHL PRF", "GAINN"])
        #expect(throws: JobRequest.Malformed.self) { try parse(#"{"job_id":"x","symbols":["   "]}"#) }
    }

    @Test func jobsOverTheSizeLimitAreRefusedWhole() throws {
        let big = #"{"job_id":"big","symbols":[""# + String(repeating: "A", count: JobRequest.maxBytes) + #""]}"#
        do {
            _ = try parse(big)
            Issue.record("an oversized job parsed")
        } catch {
            #expect(error.jobID == nil)
            #expect(error.reason.hasPrefix("job of \(big.utf8.count) bytes is over the 1 MiB limit"))
            #expect(error.reason.utf8.count < 200)
        }
    }

    @Test func reasonsQuoteAShortPrefixOfABadValue() throws {
        let wide = String(repeating: "B", count: 100_000)
        for json in [
            #"{"job_id":"w","symbols":[""# + wide + #""]}"#,
            #"{"job_id":"w","as_of":""# + wide + #""}"#,
            #"{"job_id":"w","as_of":{"a":[""# + wide + #""]}}"#,
        ] {
            do {
                _ = try parse(json)
                Issue.record("parsed")
            } catch {
                #expect(error.jobID == "w")
                #expect(error.reason.utf8.count < 200, "\(error.reason.prefix(300))")
            }
        }
    }

    @Test func deadEntriesQuoteAShortPrefixOfAMalformedJob() throws {
        let raw = Array(("not json " + String(repeating: "C", count: 1 << 20)).utf8)
        let entry = JobMessages.dead(rawJob: raw, reason: "not JSON", worker: "w", jobID: nil, at: 0)
        #expect(entry.utf8.count < 2048)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(entry.utf8)) as? [String: Any])
        #expect((object["job"] as? String)?.hasPrefix("not json CCC") == true)
        #expect(object["job_bytes"] as? Int == raw.count)
        // A short job is kept whole.
        let short = JobMessages.dead(rawJob: Array("{}".utf8), reason: "no job_id", worker: "w", jobID: nil, at: 0)
        let whole = try #require(try JSONSerialization.jsonObject(with: Data(short.utf8)) as? [String: Any])
        #expect(whole["job"] as? String == "{}")
    }

    @Test func transientRepliesAreTheOnesWorthRetrying() {
        for text in [
            "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script.",
            "MASTERDOWN Link with MASTER is down", "READONLY You can't write against a read only replica.",
        ] {
            #expect(RedisError.server(text).isTransient, "\(text)")
        }
        for text in ["ERR unknown command", "WRONGTYPE Operation against a key", "NOAUTH Authentication required."] {
            #expect(!RedisError.server(text).isTransient, "\(text)")
        }
        #expect(!RedisError.connection("refused").isTransient)
    }

    @Test func refusedCredentialsAreConfigurationErrors() {
        #expect(RedisError.server("NOAUTH Authentication required.").isAuthentication)
        #expect(RedisError.server("WRONGPASS invalid username-password pair or user is disabled.").isAuthentication)
        #expect(!RedisError.server("ERR unknown command").isAuthentication)
        #expect(!RedisError.connection("Connection refused").isAuthentication)
    }
}
