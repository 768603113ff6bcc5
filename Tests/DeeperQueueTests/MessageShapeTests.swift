import DeeperKernels
import DeeperQueue
import Foundation
import Testing

/// The bytes of the contract's messages (docs/REDIS.md): scripts and dashboards read them, so
/// their key order and text are held here exactly.
@Suite struct MessageShapeTests {
    let noon: Int64 = 1_763_744_400_000 * Nanos.perMillisecond  // 2025-11-21T17:00:00Z

    @Test func statusAndEventShapes() {
        #expect(
            JobMessages.status(.queued, message: "Job queued", worker: nil, at: noon)
                == #"{"status":"queued","message":"Job queued","timestamp":"2025-11-21T17:00:00Z"}"#)
        #expect(
            JobMessages.status(.failed, message: "Failed: x", worker: "w1", error: "x \"y\"", jobID: "j", at: noon)
                == #"{"job_id":"j","status":"failed","message":"Failed: x","worker":"w1","error":"x \"y\"","timestamp":"2025-11-21T17:00:00Z"}"#
        )
    }

    /// What the worker writes, the API, the event feed and `deeper submit` read back.
    @Test func statusesReadBackAsWritten() throws {
        let event = JobMessages.status(.failed, message: "Failed: x", worker: "w1", error: "boom", jobID: "j", at: noon)
        let read = try #require(JobStatusMessage.decode(Array(event.utf8)))
        #expect(
            read
                == JobStatusMessage(
                    status: "failed", message: "Failed: x", worker: "w1", error: "boom", timestamp: "2025-11-21T17:00:00Z",
                    jobID: "j"))
        #expect(read.state == .failed)
        let queued = try #require(JobStatusMessage.decode(Array(JobMessages.status(.queued, message: "m", worker: nil, at: noon).utf8)))
        #expect(queued.state == .queued && queued.worker == nil && queued.jobID == nil)
        #expect(JobStatusMessage.decode(Array(#"{"status":"elsewhere"}"#.utf8))?.state == nil)
        for bad in ["", "[]", "{}", #"{"status":1}"#, "not json"] {
            #expect(JobStatusMessage.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func deadEntryShape() {
        #expect(
            JobMessages.dead(rawJob: Array("{}".utf8), reason: "no job_id", worker: "w", jobID: nil, at: noon)
                == #"{"job":"{}","job_id":null,"reason":"no job_id","worker":"w","timestamp":"2025-11-21T17:00:00Z"}"#)
    }

    @Test func queuedJobShape() {
        let job = JobRequest(jobID: "a", symbols: ["AHL PRF", "B/C"], asOf: .last, createdAt: "t")
        #expect(job.queuedJSON() == #"{"job_id":"a","status":"queued","created_at":"t","symbols":["AHL PRF","B/C"],"as_of":"last"}"#)
        let every = JobRequest(jobID: "b", symbols: nil, asOf: .live)
        #expect(every.queuedJSON() == #"{"job_id":"b","status":"queued","created_at":null,"symbols":null}"#)
    }

    @Test(arguments: [
        ("3f2a9c1e-0b7d-4c1e-9a1f-2b3c4d5e6f70", true),
        ("bench-1-2", true),
        (String(repeating: "x", count: 200), true),
        (String(repeating: "x", count: 201), false),
        ("", false),
        ("a b", false),
        ("a\tb", false),
        ("a:b", false),
    ])
    func theOneJobIDRule(id: String, valid: Bool) throws {
        #expect(JobRequest.isValidJobID(id) == valid)
        // The parser applies the same rule.
        let job = try JSONSerialization.data(withJSONObject: ["job_id": id])
        #expect(((try? JobRequest.parse(Array(job))) != nil) == valid, "\(id)")
    }
}
