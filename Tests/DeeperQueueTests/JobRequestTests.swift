import DeeperKernels
import DeeperQueue
import Testing

@Suite struct JobRequestTests {
    func parse(_ s: String) throws(JobRequest.Malformed) -> JobRequest { try JobRequest.parse(Array(s.utf8)) }

    @Test func parsesTheExistingClientsShape() throws {
        let j = try parse(#"{"job_id":"abc","status":"queued","created_at":"2025-11-21T15:00:00Z","symbols":null}"#)
        #expect(j == JobRequest(jobID: "abc", symbols: nil, asOf: .live, createdAt: "2025-11-21T15:00:00Z"))
        let k = try parse(#"{"job_id":"x","symbols":["AHL PRF","GAINN","GAINN"],"as_of":"2025-11-21T11:00:00-05:00"}"#)
        #expect(k.symbols == ["AHL PRF", "GAINN"])
        #expect(k.asOf == .instant(1_763_740_800_000 * Nanos.perMillisecond))
        #expect(try parse(#"{"job_id":"y","as_of":1763740800000}"#).asOf == .instant(1_763_740_800_000_000_000))
        #expect(try parse(#"{"job_id":"z","as_of":"last"}"#).asOf == .last)
    }

    @Test(arguments: [
        ("nope", nil, "not JSON"),
        ("[]", nil, "not a JSON object"),
        (#"{"symbols":null}"#, nil, "no job_id"),
        (#"{"job_id":""}"#, nil, "no job_id"),
        (#"{"job_id":"a b"}"#, nil, "job_id"),
        (#"{"job_id":"j","symbols":"AHL"}"#, "j", "symbols"),
        (#"{"job_id":"j","symbols":["ok"]}"#, "j", "symbols"),
        (#"{"job_id":"j","symbols":[1]}"#, "j", "symbols"),
        (#"{"job_id":"j","as_of":"soon"}"#, "j", "as_of"),
        (#"{"job_id":"j","as_of":true}"#, "j", "as_of"),
        (#"{"job_id":"j","as_of":-5}"#, "j", "as_of"),
    ] as [(String, String?, String)])
    func rejectsMalformedJobs(text: String, id: String?, reason: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.jobID == id)
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    /// What `deeper submit` and the API queue parses back to the same job.
    @Test func queuedJSONRoundTrips() throws {
        for job in [
            JobRequest(jobID: "1", symbols: nil, asOf: .live, createdAt: "t"),
            JobRequest(jobID: "2", symbols: ["A", "B C"], asOf: .last),
            JobRequest(jobID: "3", symbols: [], asOf: .instant(1_700_000_000_123_000_000)),
        ] {
            #expect(try parse(job.queuedJSON()) == job)
        }
    }
}
