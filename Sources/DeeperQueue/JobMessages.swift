import DeeperData
import DeeperKernels
import Foundation

/// A job's lifecycle state as written to `deeper_analysis:status:{id}` (SYSTEM.md).
public enum JobState: String, Sendable {
    case queued, processing, completed, failed
}

/// A status or status event as read back from Redis (`deeper_analysis:status:{id}`, or a
/// message on `deeper_analysis:events`): what the API, the page's feed and `deeper submit --wait`
/// need of it.
public struct JobStatusMessage: Decodable, Sendable, Equatable {
    /// The state as written: one of ``JobState`` from Deeper's writers.
    public var status: String
    public var message: String?
    public var worker: String?
    public var error: String?
    public var timestamp: String?
    /// Present in events only.
    public var jobID: String?

    public init(
        status: String, message: String? = nil, worker: String? = nil, error: String? = nil, timestamp: String? = nil,
        jobID: String? = nil
    ) {
        self.status = status
        self.message = message
        self.worker = worker
        self.error = error
        self.timestamp = timestamp
        self.jobID = jobID
    }

    enum CodingKeys: String, CodingKey {
        case status, message, worker, error, timestamp
        case jobID = "job_id"
    }

    /// The state, when it is one Deeper writes.
    public var state: JobState? { JobState(rawValue: status) }

    /// Reads a status or event; nil when it is not a JSON object with a string `status`.
    public static func decode(_ json: some DataProtocol) -> JobStatusMessage? {
        try? JSONDecoder().decode(JobStatusMessage.self, from: Data(json))
    }
}

/// The JSON documents the worker writes: statuses, events and dead-letter entries.
///
/// Written with `JSONWriter`, not `JSONEncoder`: scripts read these shapes and their key order
/// is part of them, and Foundation's encoder on Linux writes keys in an order that changes from
/// one run to the next (`.sortedKeys` would change every shape). They are read back with
/// ``JobStatusMessage`` (Codable).
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
