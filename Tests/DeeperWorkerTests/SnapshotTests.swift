import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import DeeperTestSupport
import Foundation
import Logging
import Testing

@testable import DeeperWorker

#if canImport(Glibc)
import Glibc
#endif

/// The worker's snapshot file (issue #15): a round trip gives back the history a stream read
/// gives, every way a file can fail to match is caught and said, and a worker killed while
/// writing one restarts from the previous good one.
@Suite(.serialized) struct SnapshotTests {
    static let logger = Logger(label: "snapshot-tests")

    /// A temporary file path, removed (with its `.tmp`) when the test's scope ends.
    final class TemporaryPath: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-snapshot-\(UUID().uuidString)").path
        deinit {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".tmp")
        }
    }

    static func tail() -> PrintTail {
        let rules = Rules.default
        return PrintTail(rules: rules, calendar: AnalysisParameters(rules: rules).calendar, logger: logger)
    }

    /// A tail that has read the whole sample stream, and a snapshot of it as the worker writes one.
    static func snapshotOfSample(_ h: WorkerHarness) throws -> (PrintTail, HistorySnapshot) {
        let tail = Self.tail()
        try tail.bootstrap(h.redis, retentionStartMilliseconds: 0)
        let (history, lastID, malformed) = tail.snapshotState()
        var digest: UInt64?
        try h.redis.xrange(RedisKeys.prints, from: lastID.description, to: lastID.description) {
            digest = HistorySnapshot.entryDigest($0)
        }
        let snapshot = HistorySnapshot(
            history: history, lastID: lastID, lastEntryDigest: try #require(digest), malformedEntries: malformed,
            writtenAt: WallClock.now())
        return (tail, snapshot)
    }

    /// Every field of two histories, symbol by symbol and column by column.
    static func expectEqual(_ a: LiveHistory, _ b: LiveHistory, _ context: String) {
        #expect(a.symbols == b.symbols, "\(context)")
        #expect(a.venues == b.venues, "\(context)")
        #expect(a.count == b.count && a.ineligibleCount == b.ineligibleCount && a.staleCount == b.staleCount, "\(context)")
        guard a.symbols == b.symbols else { return }
        for s in 0..<a.symbolCount {
            let (ca, ra) = a.history(ofSymbol: s)
            let (cb, rb) = b.history(ofSymbol: s)
            #expect(Array(ca.time[ra]) == Array(cb.time[rb]), "\(context) \(a.symbols[s]) time")
            #expect(Array(ca.price[ra]) == Array(cb.price[rb]), "\(context) \(a.symbols[s]) price")
            #expect(Array(ca.size[ra]) == Array(cb.size[rb]), "\(context) \(a.symbols[s]) size")
            #expect(Array(ca.venue[ra]) == Array(cb.venue[rb]), "\(context) \(a.symbols[s]) venue")
            #expect(Array(ca.weight[ra]) == Array(cb.weight[rb]), "\(context) \(a.symbols[s]) weight")
            #expect(a.evictionCutoff(ofSymbol: s) == b.evictionCutoff(ofSymbol: s), "\(context) \(a.symbols[s]) cutoff")
        }
    }

    /// Written, read back and continued with the stream's newer entries, the history equals
    /// one read from the stream in one go, field by field.
    @Test func roundTripEqualsAStreamRead() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let file = TemporaryPath()
        let (tail, snapshot) = try Self.snapshotOfSample(h)
        try snapshot.write(to: file.path, rules: .default)
        let loaded = try HistorySnapshot.load(from: file.path, rules: .default).get()
        #expect(loaded.lastID == snapshot.lastID && loaded.lastEntryDigest == snapshot.lastEntryDigest)
        #expect(loaded.malformedEntries == tail.malformedEntries && loaded.writtenAt == snapshot.writtenAt)
        Self.expectEqual(loaded.history, tail.snapshot(), "loaded")
        #expect(loaded.history.count > 1_000)
        #expect(try Worker.mismatch(of: loaded, in: h.redis) == nil)

        // More prints arrive; a tail restored from the file reads only those.
        _ = try h.redis.pipeline(IntegrityTests.prints("OFN", count: 50, offset: 100_000) + IntegrityTests.prints("NEWSYM", count: 5))
        let restored = Self.tail()
        restored.restore(loaded)
        #expect(try restored.bootstrap(h.redis, after: loaded.lastID) == 55)
        let fresh = Self.tail()
        try fresh.bootstrap(h.redis, retentionStartMilliseconds: 0)
        Self.expectEqual(restored.snapshot(), fresh.snapshot(), "continued")
        #expect(restored.lastAppliedID == fresh.lastAppliedID)
    }

    /// Each way a file can be unusable is refused with its reason.
    @Test func badFilesAreRefusedWithTheirReason() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let file = TemporaryPath()
        let (_, snapshot) = try Self.snapshotOfSample(h)
        try snapshot.write(to: file.path, rules: .default)
        let good = try Data(contentsOf: URL(fileURLWithPath: file.path))

        func reason(_ bytes: Data, rules: Rules = .default) -> String {
            let path = TemporaryPath()
            FileManager.default.createFile(atPath: path.path, contents: bytes)
            switch HistorySnapshot.load(from: path.path, rules: rules) {
            case .success: return "loaded"
            case .failure(let rejection): return rejection.description
            }
        }
        #expect(reason(good) == "loaded")
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        #expect(reason(flipped).contains("checksum mismatch"))
        for cut in [0, 10, 40, good.count / 3, good.count - 1] {
            let r = reason(good.prefix(cut))
            #expect(r.contains("corrupt or truncated") || r.contains("not a Deeper snapshot"), "cut at \(cut): \(r)")
        }
        var otherVersion = good
        otherVersion[8] = 2
        #expect(reason(otherVersion) == "format version 2; this worker reads version 1")
        var rules = Rules.default
        rules.minLot += 1
        #expect(reason(good, rules: rules).contains("another min_lot, market calendar or retention"))
        // Weights are derived again on load: other weights leave the file usable.
        var weights = Rules.default
        weights.weightIrregular += 100
        #expect(reason(good, rules: weights) == "loaded")
        #expect(reason(Data("hello, world, this is not it".utf8)) == "not a Deeper snapshot file")
        let missing = HistorySnapshot.load(from: file.path + ".nope", rules: .default)
        guard case .failure(let rejection) = missing else { Issue.record("loaded a missing file"); return }
        #expect(rejection.isMissing)
    }

    /// Each way the stream in Redis can differ from the one the snapshot was read from.
    @Test func aStreamThatIsNotTheSnapshotsIsDetected() throws {
        func snapshotAndServer() throws -> (WorkerHarness, HistorySnapshot) {
            let h = try WorkerHarness()
            _ = try h.redis.pipeline(IntegrityTests.prints("OFN", count: 20))
            let (_, snapshot) = try Self.snapshotOfSample(h)
            return (h, snapshot)
        }
        // The stream deleted and fed again: the snapshot's last entry is gone.
        var (h, snapshot) = try snapshotAndServer()
        _ = try h.redis.command(["DEL", RedisKeys.prints])
        #expect(try Worker.mismatch(of: snapshot, in: h.redis)?.contains("gone or empty") == true)
        // Fed again in a later millisecond: the same prints fed again within the same one get
        // the same ids, and are the same stream.
        while UInt64(WallClock.now() / Nanos.perMillisecond) <= snapshot.lastID.milliseconds + 1 { usleep(1000) }
        _ = try h.redis.pipeline(IntegrityTests.prints("OFN", count: 20))
        #expect(try Worker.mismatch(of: snapshot, in: h.redis)?.contains("the stream no longer holds entry") == true)

        // Trimmed past the snapshot's last entry.
        (h, snapshot) = try snapshotAndServer()
        _ = try h.redis.pipeline(IntegrityTests.prints("OFN", count: 5, offset: 50))
        let next = RedisStreamID(milliseconds: snapshot.lastID.milliseconds, sequence: snapshot.lastID.sequence + 1)
        _ = try h.redis.command(["XTRIM", RedisKeys.prints, "MINID", next.description])
        #expect(try Worker.mismatch(of: snapshot, in: h.redis)?.contains("trimmed past") == true)

        // Another Redis whose stream has an entry under the same id, with other fields.
        let other = try WorkerHarness()
        _ = try other.redis.command([
            "XADD", RedisKeys.prints, snapshot.lastID.description, "sym", "OTHER", "t", "1741788000000", "p", "1", "s", "1",
        ])
        #expect(try Worker.mismatch(of: snapshot, in: other.redis)?.contains("holds other fields") == true)
        // And the same server restarted without its data.
        h.server.stop()
        try h.server.start()
        let again = try RedisConnection(RedisConfiguration(port: h.server.port))
        #expect(try Worker.mismatch(of: snapshot, in: again)?.contains("gone or empty") == true)
    }

    /// A worker started with a snapshot that does not match says why and reads the stream; its
    /// results are those of a worker without one.
    @Test func aDiscardedSnapshotIsLoggedAndTheStreamReadInstead() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let file = TemporaryPath()
        let first = try h.startWorker("snap1", ["--snapshot", file.path, "--snapshot-interval", "0.2"])
        #expect(first.waitForLog("wrote snapshot"), "\(first.log)")
        first.signal(SIGTERM)
        #expect(first.waitForExit(timeout: .seconds(15)) == 0)
        #expect(first.log.contains("no snapshot at \(file.path) yet"))

        // The stream deleted and fed again.
        _ = try h.redis.command(["DEL", RedisKeys.prints])
        try h.loadSample()
        let second = try h.startWorker("snap2", ["--snapshot", file.path])
        defer { second.signal(SIGKILL) }
        #expect(second.log.contains("discarded snapshot \(file.path): the stream no longer holds entry"), "\(second.log)")
        #expect(second.log.contains("reading the whole stream"))
        let id = try h.submit()
        #expect(h.waitFor(id, "completed"))
        #expect((try h.result(id)["processed_count"] as? Int) == 36)

        // A corrupt file.
        second.signal(SIGTERM)
        #expect(second.waitForExit(timeout: .seconds(15)) == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file.path))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: file.path))
        let third = try h.startWorker("snap3", ["--snapshot", file.path])
        defer { third.signal(SIGKILL) }
        #expect(third.log.contains("discarded snapshot \(file.path): the file is corrupt or truncated (checksum mismatch)"), "\(third.log)")
    }

    /// Killed half-way through writing a new snapshot, a worker leaves the previous one whole;
    /// the next start loads it, reads the rest of the stream, and computes what a worker that
    /// read the whole stream computes.
    @Test func aWorkerKilledMidSnapshotRestartsFromThePreviousOne() throws {
        let h = try WorkerHarness()
        try h.loadSample()
        let file = TemporaryPath()
        let writer = try h.startWorker("writer", ["--snapshot", file.path, "--snapshot-interval", "0.2"])
        #expect(writer.waitForLog("wrote snapshot"), "\(writer.log)")
        writer.signal(SIGTERM)
        #expect(writer.waitForExit(timeout: .seconds(15)) == 0)
        let good = try Data(contentsOf: URL(fileURLWithPath: file.path))
        let goodSnapshot = try HistorySnapshot.load(from: file.path, rules: .default).get()

        // New prints, then a worker that stops half-way through writing its snapshot of them.
        _ = try h.redis.pipeline(IntegrityTests.prints("OFN", count: 30, offset: 100_000))
        let slow = try h.startWorker("slow", ["--snapshot", file.path, "--snapshot-interval", "0.2", "--test-snapshot-delay-ms", "600000"])
        defer { slow.signal(SIGKILL) }
        #expect(slow.waitForLog("half-way through writing snapshot"), "\(slow.log)")
        slow.signal(SIGKILL)
        _ = slow.waitForExit(timeout: .seconds(5))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == good)
        #expect(FileManager.default.fileExists(atPath: file.path + ".tmp"))

        let restarted = try h.startWorker("restarted", ["--snapshot", file.path])
        defer { restarted.signal(SIGKILL) }
        #expect(restarted.log.contains("loaded snapshot \(file.path)"), "\(restarted.log)")
        #expect(restarted.log.contains("loaded 30 stream entries after snapshot entry \(goodSnapshot.lastID)"), "\(restarted.log)")
        let fromSnapshot = try h.submit(asOf: .last)
        #expect(h.waitFor(fromSnapshot, "completed"))
        restarted.signal(SIGTERM)
        #expect(restarted.waitForExit(timeout: .seconds(15)) == 0)

        let plain = try h.startWorker("plain")
        defer { plain.signal(SIGKILL) }
        let fromStream = try h.submit(asOf: .last)
        #expect(h.waitFor(fromStream, "completed"))
        let a = try h.result(fromSnapshot)
        let b = try h.result(fromStream)
        let mismatches = jsonMismatches(a, b, ignoring: ["timestamp", "job_id"])
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
    }
}
