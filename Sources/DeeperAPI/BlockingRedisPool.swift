import DeeperRedis
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif
import ServiceLifecycle
import Synchronization

/// Runs blocking work (hiredis calls, parsing large bodies) on a small `NIOThreadPool`, never on
/// an event loop or the cooperative pool, and lends each call a Redis connection.
///
/// Connections are kept in an idle list and made on demand, so there are never more than there
/// are threads. A connection that failed is dropped, not returned: the next call connects anew,
/// which is how the API reconnects after Redis restarts. Since a restarted server drops every
/// idle socket at once, a call that fails on a *reused* connection is retried once on a fresh
/// one (the command cannot have run on the new server); a call on a fresh connection is not.
final class BlockingRedisPool: Sendable {
    private let configuration: RedisConfiguration
    private let threads: NIOThreadPool
    private let idle = Mutex<[RedisConnection]>([])

    init(configuration: RedisConfiguration, threads: Int) {
        self.configuration = configuration
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
    }

    /// Runs `body` on a pool thread (CPU work that would otherwise hold up other requests).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(body)
    }

    /// Runs `body` on a pool thread with a connection.
    ///
    /// - Throws: the `RedisError` of the call (``RedisError/connection(_:)`` when Redis cannot be
    ///   reached), or `NIOThreadPoolError.ThreadPoolInactive` once the pool is shut down.
    func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T
    ) async throws -> T {
        try await threads.runIfActive { () throws(RedisError) -> T in
            Self.blockSIGPIPE()
            if let reused = self.idle.withLock({ $0.popLast() }) {
                do throws(RedisError) {
                    return try self.call(reused, body)
                } catch .connection {
                    // A stale socket from before a Redis restart: once more on a fresh one.
                }
            }
            return try self.call(try RedisConnection(self.configuration), body)
        }
    }

    /// Blocks SIGPIPE on the calling pool thread, for good.
    ///
    /// hiredis writes with `write(2)`, and a write to a socket Redis reset raises SIGPIPE, which
    /// would end the process. `RedisConnection` guards each exchange by blocking it and cleaning
    /// up after (four syscalls); with the signal already blocked on the thread it only checks
    /// (one). The pool's threads run nothing else, so a SIGPIPE left pending on one is harmless.
    private static func blockSIGPIPE() {
        #if canImport(Glibc)
            var sigpipe = sigset_t()
            sigemptyset(&sigpipe)
            sigaddset(&sigpipe, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &sigpipe, nil)
        #endif
    }

    /// Calls `body` and puts the connection back unless the call broke it.
    private func call<T>(
        _ connection: RedisConnection, _ body: (RedisConnection) throws(RedisError) -> T
    ) throws(RedisError) -> T {
        defer {
            if connection.isConnected { idle.withLock { $0.append(connection) } }
        }
        return try body(connection)
    }

    /// Stops the threads once the work in hand is done, and drops the idle connections.
    func shutdown() async {
        try? await threads.shutdownGracefully()
        idle.withLock { $0.removeAll() }
    }
}

/// Shuts the pool down when the application stops. Listed first among the application's
/// services, so the service group stops it last, after the server has answered every request
/// in flight.
struct BlockingPoolService: Service {
    let pool: BlockingRedisPool

    func run() async throws {
        // Returns on graceful shutdown, or throws on cancellation; the pool stops either way.
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}
