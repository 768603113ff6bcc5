import CoreMetrics
import Synchronization

import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// The API's metrics: recorded through swift-metrics, kept in a Prometheus registry of the
/// server's own (not the process-wide `MetricsSystem`, so several servers in one test process do
/// not mix), and written out as Prometheus text by `GET /metrics`.
///
/// | metric | labels | what |
/// |---|---|---|
/// | `deeper_http_requests_total` | method, route, status | requests answered |
/// | `deeper_http_request_duration_seconds` | method, route | latency histogram |
/// | `deeper_queue_length` | | `LLEN deeper_analysis:jobs` at the last scrape |
/// | `deeper_workers_live` | | workers with a live heartbeat at the last scrape |
/// | `deeper_redis_up` | | 1 when the last scrape reached Redis |
/// | `deeper_job_events_total` | status | status changes seen on `deeper_analysis:events` |
/// | `deeper_websocket_clients` | | WebSockets connected at the last scrape |
///
/// `route` is the matched route pattern (`/api/deeper-analysis/status/{job_id}`), never the
/// raw path, so job ids cannot blow up the label set; unmatched paths count as `unmatched`.
final class APIMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    private struct RouteKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct RouteMetrics: @unchecked Sendable {
        // swift-metrics' Counter and Timer are thread-safe classes that predate `Sendable`.
        var requests: CoreMetrics.Counter
        var duration: CoreMetrics.Timer
    }

    private let routes = Mutex<[RouteKey: RouteMetrics]>([:])
    private let events = Mutex<[String: CoreMetrics.Counter]>([:])
    private let queueLength: CoreMetrics.Gauge
    private let workersLive: CoreMetrics.Gauge
    private let redisUp: CoreMetrics.Gauge
    private let webSocketClients: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // The API answers in well under a millisecond; the default buckets start at 5 ms.
        factory.durationHistogramBuckets["deeper_http_request_duration_seconds"] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        queueLength = Gauge(label: "deeper_queue_length", factory: factory)
        workersLive = Gauge(label: "deeper_workers_live", factory: factory)
        redisUp = Gauge(label: "deeper_redis_up", factory: factory)
        webSocketClients = Gauge(label: "deeper_websocket_clients", factory: factory)
    }

    /// Counts one answered request and its latency.
    func recordRequest(method: String, route: String, status: Int, nanoseconds: Int64) {
        let key = RouteKey(method: method, route: route, status: status)
        let metrics = routes.withLock { routes in
            if let existing = routes[key] { return existing }
            let made = RouteMetrics(
                requests: Counter(
                    label: "deeper_http_requests_total",
                    dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory),
                duration: Timer(
                    label: "deeper_http_request_duration_seconds",
                    dimensions: [("method", method), ("route", route)], factory: factory))
            routes[key] = made
            return made
        }
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(nanoseconds)
    }

    /// Counts one status event of the job event channel.
    func countEvent(status: String) {
        let counter = events.withLock { events in
            if let existing = events[status] { return existing }
            let made = Counter(label: "deeper_job_events_total", dimensions: [("status", status)], factory: factory)
            events[status] = made
            return made
        }
        counter.increment()
    }

    /// Sets the gauges read at scrape time; `nil` values (Redis unreachable) keep the last ones.
    func recordScrape(redisUp up: Bool, queueLength length: Int?, workers: Int?, webSocketClients clients: Int) {
        redisUp.record(up ? 1 : 0)
        if let length { queueLength.record(length) }
        if let workers { workersLive.record(workers) }
        webSocketClients.record(clients)
    }

    /// Every metric in the Prometheus text format.
    func prometheusText() -> [UInt8] {
        registry.emitToBuffer()
    }
}
