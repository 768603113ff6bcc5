import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM and SIGINT that arrive while the worker starts, before swift-service-lifecycle listens
/// for them: without this, their default action kills the process (exit 143) instead of a
/// clean stop (exit 0).
///
/// `capture()` installs a handler that only records the signal; the service group's own signal
/// sources replace it once they are registered, and `Worker` treats a recorded signal as a
/// graceful shutdown.
public enum StartUpSignals {
    /// The signal recorded, or 0.
    static let received = Atomic<Int32>(0)

    /// Records SIGTERM and SIGINT from now on. Call it first thing in the worker's command.
    public static func capture() {
        // Touch the atomic first: a signal handler must not run a lazy global initializer.
        _ = received.load(ordering: .relaxed)
        for sig in [SIGTERM, SIGINT] {
            // Only an atomic store: async-signal-safe.
            signal(sig) { s in StartUpSignals.received.store(s, ordering: .relaxed) }
        }
    }

    /// Whether a stop signal was recorded.
    public static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// Sends the recorded signal to this process again (for whoever listens by now).
    static func resend() {
        let s = received.load(ordering: .relaxed)
        if s != 0 { kill(getpid(), s) }
    }
}
