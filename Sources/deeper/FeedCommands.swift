import ArgumentParser
import DeeperCLI
import DeeperData
import DeeperKernels
import DeeperQueue
import DeeperRedis
import Foundation

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append the prints of a CSV file to the Redis print stream.",
        discussion: """
            Prints go to deeper_analysis:prints (pipelined XADD, trimmed with MINID
            to the retention) in time order, their symbols to deeper_analysis:symbols.
            Malformed lines are reported with line and reason and skipped; every
            valid print arrives. A print stamped more than --max-future seconds
            ahead of the clock (default $MAX_FUTURE, else 300) is malformed too.
            By default as fast as Redis takes them; --speed X replays X times
            faster than the prints' own clock.

            Examples:
              deeper replay fixtures/sample-prints.csv
              deeper replay today.csv --speed 60
            """
    )

    @Argument(help: ArgumentHelp("Prints CSV file.", valueName: "PRINTS.csv"))
    var prints: String

    @Option(help: "Replay X times faster than real time (gaps between prints divided by X).")
    var speed: Double?

    @Flag(name: .customLong("max-rate"), help: "As fast as possible (the default).")
    var maxRate = false

    @Option(
        name: .customLong("max-future"),
        help: ArgumentHelp("Refuse prints stamped more than this many seconds ahead of the clock (default $MAX_FUTURE, else 300).", valueName: "SECONDS"))
    var maxFuture: String?

    @OptionGroup var redis: RedisOptions

    func validate() throws {
        if let speed, !(speed > 0) { throw ValidationError("--speed must be positive") }
        if speed != nil && maxRate { throw ValidationError("--speed and --max-rate exclude each other") }
    }

    func run() throws {
        let tolerance = try futureTolerance(flag: maxFuture)
        let parsed: PrintsCSV
        do {
            parsed = try PrintsCSV.read(contentsOfFile: prints, notAfter: tolerance.limit(now: WallClock.now()))
        } catch {
            printError("deeper: \(error)")
            throw (error is CSVFileError) ? ExitStatus.noInput : ExitStatus.dataError
        }
        for e in parsed.errors.prefix(20) { printError("deeper: skipped \(e)") }
        if parsed.errorCount > 20 { printError("deeper: … and \(parsed.errorCount - 20) more malformed lines skipped") }
        // Time order (stable), as a live feed would deliver them.
        let ordered = parsed.prints.enumerated().sorted {
            $0.element.time != $1.element.time ? $0.element.time < $1.element.time : $0.offset < $1.offset
        }.map(\.element)
        let connection = try redis.connect()
        let calendar = AnalysisParameters().calendar
        let clock = ContinuousClock()
        let started = clock.now
        var sent = 0
        var index = 0
        let progress = ProgressLine(enabled: stderrIsTerminal)
        while index < ordered.count {
            var end = min(ordered.count, index + Feed.batchSize)
            if let speed {
                // Send everything due by now; sleep until the next print is due.
                let origin = ordered[0].time
                let elapsed = started.duration(to: clock.now)
                let due = origin + Int64(elapsed.seconds * 1e9 * speed)
                end = index
                while end < ordered.count && end - index < Feed.batchSize && ordered[end].time <= due { end += 1 }
                if end == index {
                    let wait = Double(ordered[index].time - due) / speed / 1e9
                    Thread.sleep(forTimeInterval: min(max(wait, 0.001), 1))
                    continue
                }
            }
            let now = WallClock.now()
            do {
                sent += try Feed.append(
                    connection, prints: ordered[index..<end], symbols: parsed.symbols.names,
                    venues: parsed.venues.names,
                    retentionStartMilliseconds: Feed.retentionStartMilliseconds(calendar: calendar, now: now))
            } catch {
                progress.clear()
                printError("deeper: Redis: \(error) after \(sent) prints")
                throw ExitStatus.redis(error)
            }
            index = end
            progress.show("replayed \(sent)/\(ordered.count) prints")
        }
        progress.clear()
        let seconds = started.duration(to: clock.now).seconds
        printError(
            "deeper: replayed \(sent) prints of \(parsed.symbols.count) symbols in \(Report.fixed(seconds, 2)) s"
                + " (\(Int(Double(sent) / max(seconds, 1e-9))) prints/s); \(parsed.errorCount) malformed line(s) skipped")
    }
}

struct LoadUniverse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-universe",
        abstract: "Fill deeper_analysis:avg_adv from a universe CSV (symbol,avg_adv[,group]).",
        discussion: """
            A symbol whose avg_adv is empty is removed from the hash (unknown:
            RWVAP excludes nothing for it). A malformed file loads nothing.

            Example:
              deeper load-universe fixtures/sample-universe.csv
            """
    )

    @Argument(help: ArgumentHelp("Universe CSV file.", valueName: "U.csv"))
    var universe: String

    @OptionGroup var redis: RedisOptions

    func run() throws {
        let parsed: UniverseCSV
        do {
            parsed = try UniverseCSV.read(contentsOfFile: universe)
        } catch {
            printError("deeper: \(error)")
            throw (error is CSVFileError) ? ExitStatus.noInput : ExitStatus.dataError
        }
        if parsed.errorCount > 0 {
            for e in parsed.errors.prefix(10) { printError("deeper: \(e)") }
            printError("deeper: \(parsed.errorCount) malformed line(s): nothing loaded")
            throw ExitStatus.dataError
        }
        let connection = try redis.connect()
        do {
            let known = try Feed.loadUniverse(connection, parsed.entries)
            printError("deeper: loaded avg_adv for \(known) of \(parsed.entries.count) symbols")
        } catch {
            printError("deeper: Redis: \(error)")
            throw ExitStatus.redis(error)
        }
    }
}

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue an analysis job exactly as the API does; with --wait, follow it to the result.",
        discussion: """
            Examples:
              deeper submit --wait
              deeper submit --symbols "AHL PRF,GAINN" --as-of 2025-11-21T16:00:00-05:00 --wait
            Prints the job id on stdout. Exit status 1 when the job failed.
            """
    )

    @Option(help: ArgumentHelp("Only these symbols, comma-separated (default: every symbol).", valueName: "A,B"))
    var symbols: String?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("live (default), last, an ISO-8601 instant or epoch ms.", valueName: "WHEN"))
    var asOf: String?

    @Flag(help: "Follow the job's status and print a summary of its result.")
    var wait = false

    @Option(help: "Seconds to wait with --wait.")
    var timeout: Double = 120

    @Option(help: "How many symbols the --wait summary lists (by |god|).")
    var top: Int = 10

    @OptionGroup var redis: RedisOptions

    func run() throws {
        let symbolList = try symbols.map(parseSymbolList)
        var jobAsOf = JobAsOf.live
        if let asOf {
            switch asOf {
            case "live": jobAsOf = .live
            case "last": jobAsOf = .last
            default:
                guard let t = TimeText.parseInstant(asOf) else {
                    throw ValidationError("--as-of: \"\(asOf)\" is not live, last, an ISO-8601 instant or epoch ms")
                }
                jobAsOf = .instant(t)
            }
        }
        let now = WallClock.now()
        let job = JobRequest(jobID: JobQueue.newJobID(), symbols: symbolList, asOf: jobAsOf, createdAt: Nanos.iso8601(now))
        let connection = try redis.connect()
        guard wait else {
            do {
                try JobQueue.enqueue(connection, job, at: now)
            } catch {
                printError("deeper: Redis: \(error)")
                throw ExitStatus.redis(error)
            }
            print(job.jobID)
            return
        }
        // Follow the job's events (subscribed before it is queued), so the end is reported
        // as soon as it is published rather than at the next poll.
        let subscriber = try redis.connect()
        var last = ""
        let final: JobStatusMessage?
        do throws(RedisError) {
            final = try JobQueue.enqueueAndFollow(
                job, on: connection, subscriber: subscriber, at: now, timeout: .seconds(timeout),
                queued: { print(job.jobID) },
                onStatus: { status in
                    let message = status.message ?? ""
                    if message != last { printError("deeper: \(status.status): \(message)") }
                    last = message
                })
        } catch {
            printError("deeper: Redis: \(error)")
            throw ExitStatus.redis(error)
        }
        switch final?.state {
        case .completed?:
            // A whole market's result is megabytes: read it in place and keep only what the
            // summary shows.
            let summary = try connection.withReply(["GET", RedisKeys.result(job.jobID)]) { reply in
                JobResultSummary(json: reply.bytes, top: top)
            }
            print(summary?.render() ?? "unreadable result\n", terminator: "")
        case .failed?:
            throw ExitCode(1)
        default:
            printError("deeper: gave up waiting after \(timeout) s; the job may still complete (id \(job.jobID))")
            throw ExitCode(1)
        }
    }
}
