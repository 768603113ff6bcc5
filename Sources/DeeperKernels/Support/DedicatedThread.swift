#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads of our own, for work that blocks (hiredis calls) or that must keep a priority of its
/// own (`BatchEngine`'s lanes): neither belongs on Swift's cooperative pool or Dispatch's threads.
public enum DedicatedThread {
    /// Starts a detached thread named `name` (as `top -H` and `ps -L` show it) running `body`.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let status = pthread_create(&thread, nil, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            DedicatedThread.nameCurrent(start.name)
            start.body()
            return nil
        }, start)
        precondition(status == 0, "pthread_create failed (\(status))")
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        pthread_detach(thread!)
        #endif
    }

    /// Runs `body` on a new thread named `name` and resumes when it returns.
    public static func run(name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            start(name: name) {
                body()
                done.resume()
            }
        }
    }

    /// Names the calling thread (at most 15 bytes); best effort.
    ///
    /// Through `/proc/thread-self/comm` on Linux because `pthread_setname_np` sits behind
    /// `_GNU_SOURCE`, which Glibc's Swift module does not define.
    public static func nameCurrent(_ name: String) {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        var bytes = Array(name.utf8.prefix(15))
        _ = write(fd, &bytes, bytes.count)
        close(fd)
        #endif
    }

    private final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
