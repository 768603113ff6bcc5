// libFuzzer target for the job decoder (`JobRequest.parse`, what every worker runs on every
// job it takes): `scripts/fuzz`.
//
// Any bytes: the decoder either refuses the job with a short reason (a bad value is quoted by
// a short prefix only) or returns a job whose id and symbols obey SPEC §1 and that reads back
// from its own queued JSON (what the API and `deeper submit` write) to an equal job.
import DeeperData
import DeeperQueue
import Foundation
import FuzzDriver

/// One input: see above.
func fuzzJobRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let raw = Array(UnsafeRawBufferPointer(start: start, count: count))
    let job: JobRequest
    do {
        job = try JobRequest.parse(raw)
    } catch {
        // A reason quotes at most a short prefix of a bad value: never the job itself.
        check(error.reason.utf8.count <= 300, "a short reason, got \(error.reason.utf8.count) bytes")
        return 0
    }
    check(!job.jobID.isEmpty && job.jobID.utf8.count <= 200, "job_id length")
    check(!job.jobID.contains(where: { $0.isWhitespace || $0 == ":" }), "job_id characters")
    if let symbols = job.symbols {
        check(symbols.count <= JobRequest.maxSymbols, "at most maxSymbols")
        check(Set(symbols).count == symbols.count, "no duplicate symbols")
        for s in symbols { check(SymbolRules.isValid(s), "valid symbol \(s)") }
    }
    let again: JobRequest
    do {
        again = try JobRequest.parse(Array(job.queuedJSON().utf8))
    } catch {
        fatalError("its own queued JSON refused: \(error.reason): \(job.queuedJSON())")
    }
    // created_at is kept as given; everything the worker acts on must come back equal.
    check(again.jobID == job.jobID && again.symbols == job.symbols && again.asOf == job.asOf,
          "round trip: \(job) → \(again)")
    return 0
}

/// The entry point (see `runFuzzer`).
@main enum FuzzJobRequest {
    static func main() { runFuzzer(fuzzJobRequest) }
}
