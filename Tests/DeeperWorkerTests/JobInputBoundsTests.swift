import DeeperData
import DeeperKernels
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

    @Test func refusedCredentialsAreConfigurationErrors() {
        #expect(RedisError.server("NOAUTH Authentication required.").isAuthentication)
        #expect(RedisError.server("WRONGPASS invalid username-password pair or user is disabled.").isAuthentication)
        #expect(!RedisError.server("ERR unknown command").isAuthentication)
        #expect(!RedisError.connection("Connection refused").isAuthentication)
    }
}
