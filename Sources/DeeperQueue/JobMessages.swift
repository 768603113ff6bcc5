import DeeperData
import DeeperKernels

/// A job's lifecycle state as written to `deeper_analysis:status:{id}` (SYSTEM.md).
public enum JobState: String, Sendable {
    case queued, processing, completed, failed
}

/// The JSON documents the worker writes: statuses, events and dead-letter entries.
public enum JobMessages {
    /// How much of a malformed job a dead-letter entry quotes.
    public static let maxQuotedJobBytes = 1024

    /// `{"status", "message", "worker"?, "error"?, "timestamp"}`; with `jobID` it is the event
    /// form published on `deeper_analysis:events` (the status plus `job_id`).
    public static func status(
        _ state: JobState, message: String, worker: String?, error: String? = nil, jobID: String? = nil,
        at time: Int64
    ) -> String {
        var w = JSONWriter()
        w.beginObject()
        if let jobID { w.field("job_id", jobID) }
        w.field("status", state.rawValue)
        w.field("message", message)
        if let worker { w.field("worker", worker) }
        if let error { w.field("error", error) }
        w.field("timestamp", Nanos.iso8601(time))
        w.endObject()
        return w.text
    }

    /// A dead-letter entry: the raw job (as a string, whatever it was), why, who and when.
    ///
    /// A job longer than `maxQuotedJobBytes` is quoted by its first bytes only, with its full
    /// length in `job_bytes`: a bad job must not multiply into entries as large as itself.
    public static func dead(rawJob: [UInt8], reason: String, worker: String, jobID: String?, at time: Int64) -> String {
        var w = JSONWriter()
        w.beginObject()
        if rawJob.count > maxQuotedJobBytes {
            w.field("job", String(decoding: rawJob.prefix(maxQuotedJobBytes), as: UTF8.self) + "…")
            w.field("job_bytes", rawJob.count)
        } else {
            w.field("job", String(decoding: rawJob, as: UTF8.self))
        }
        w.field("job_id", jobID)
        w.field("reason", reason)
        w.field("worker", worker)
        w.field("timestamp", Nanos.iso8601(time))
        w.endObject()
        return w.text
    }
}
