import ArgumentParser
import DeeperCLI
import DeeperKernels
import DeeperWorker
import Foundation
import Logging
import ServiceLifecycle

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Tail the print stream, take jobs from the Redis queue, compute them on every core.",
        discussion: """
            Run as many as you like, on as many hosts: they share one queue. A job
            taken by a worker that dies is handed back by another once the dead
            worker's heartbeat expires; SIGINT/SIGTERM finish the job in hand first.

            Environment (flags override): REDIS_HOST, REDIS_PORT, REDIS_PASSWORD (or REDIS_PASSWORD_FILE),
            REDIS_DB, WORKER_NAME (worker_<pid>), POLL_TIMEOUT (5 s), MAX_JOB_TIME
            (300 s), WORKER_THREADS (every core), COMPUTE_PRIORITY (idle),
            DEEPER_RULES, MAX_FUTURE (300 s: stream entries stamped further ahead of
            their arrival are skipped as malformed), SNAPSHOT_PATH (none),
            SNAPSHOT_INTERVAL (60 s).

            Snapshot: with --snapshot PATH the worker keeps its in-memory history in
            PATH (rewritten every --snapshot-interval seconds and when it stops) and,
            when it starts, loads it and reads only the stream after it. A snapshot
            that does not match the stream in Redis, or is corrupt, truncated, of
            another format version or made under another min_lot, is discarded (the
            log says why) and the whole stream is read. One PATH per worker.

            Compute priority: the kernels run on the worker's own threads at
              idle    Linux SCHED_IDLE: only on CPU time nothing else wants; the
                      API, Redis and the worker's heartbeat preempt them at once.
                      The default: on a host with nothing else to run it computes
                      as fast as normal.
              low     nice 19, SCHED_BATCH: a small share of a contended core.
              normal  the worker's own priority: for hosts whose other processes
                      keep every core busy, where idle would starve the kernels.

            Example:
              WORKER_NAME=worker1 deeper worker
            """
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "Worker name (default $WORKER_NAME, else worker_<pid>).")
    var name: String?

    @Option(name: .customLong("poll-timeout"), help: "Seconds one wait for a job lasts (default $POLL_TIMEOUT, else 5).")
    var pollTimeout: Double?

    @Option(name: .customLong("max-job-time"), help: "Seconds after which a job fails (default $MAX_JOB_TIME, else 300).")
    var maxJobTime: Double?

    @Option(help: "Compute threads (default $WORKER_THREADS, else every core).")
    var threads: Int?

    @Option(
        name: .customLong("compute-priority"),
        help: ArgumentHelp("idle, low or normal (default $COMPUTE_PRIORITY, else idle; see below).", valueName: "PRIORITY"))
    var computePriority: ComputePriority?

    @Option(help: ArgumentHelp("YAML rules file (default $DEEPER_RULES).", valueName: "FILE"))
    var rules: String?

    @Option(
        name: .customLong("max-future"),
        help: ArgumentHelp("Skip stream entries stamped more than this many seconds ahead of their arrival (default $MAX_FUTURE, else 300).", valueName: "SECONDS"))
    var maxFuture: String?

    @Option(help: ArgumentHelp("Keep a snapshot of the history in this file (default $SNAPSHOT_PATH, else none).", valueName: "PATH"))
    var snapshot: String?

    @Option(
        name: .customLong("snapshot-interval"),
        help: ArgumentHelp("Seconds between snapshot writes (default $SNAPSHOT_INTERVAL, else 60).", valueName: "SECONDS"))
    var snapshotInterval: Double?

    #if DEBUG
    /// Test-only (debug builds: the tests and the chaos harness): sleep this long in every job.
    @Option(name: .customLong("test-job-delay-ms"), help: .hidden)
    var testJobDelayMilliseconds: Int = 0

    /// Test-only (debug builds): sleep this long half-way through writing each snapshot.
    @Option(name: .customLong("test-snapshot-delay-ms"), help: .hidden)
    var testSnapshotDelayMilliseconds: Int = 0
    #endif

    func run() async throws {
        // Before anything else: a SIGTERM while the worker starts must stop it cleanly too.
        StartUpSignals.capture()
        let env = ProcessInfo.processInfo.environment
        var c: WorkerConfiguration
        do {
            c = try WorkerConfiguration.fromEnvironment(env, pid: getpid())
        } catch {
            throw ValidationError("\(error)")
        }
        c.redis = try redis.configuration()
        // A wrong password is a setting to fix (exit 78); an unreachable Redis is waited out.
        try redis.refuseWrongPassword(c.redis)
        if let name { c.name = name }
        do {
            if let pollTimeout { c.pollTimeout = try WorkerConfiguration.seconds("--poll-timeout", pollTimeout) }
            if let maxJobTime { c.maxJobTime = try WorkerConfiguration.seconds("--max-job-time", maxJobTime) }
            if let snapshotInterval {
                c.snapshotInterval = try WorkerConfiguration.seconds("--snapshot-interval", snapshotInterval)
            }
        } catch {
            throw ValidationError("\(error)")
        }
        if let snapshot { c.snapshotPath = snapshot.isEmpty ? nil : snapshot }
        if let threads { c.threads = threads }
        if let computePriority { c.computePriority = computePriority }
        c.rules = try loadRules(path: rules)
        if let maxFuture { c.futureTolerance = try futureTolerance(flag: maxFuture) }
        #if DEBUG
        c.testJobDelay = .milliseconds(testJobDelayMilliseconds)
        c.testSnapshotDelay = .milliseconds(testSnapshotDelayMilliseconds)
        #endif

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "deeper.worker")
        let worker = Worker(configuration: c, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension ComputePriority: ExpressibleByArgument {}
