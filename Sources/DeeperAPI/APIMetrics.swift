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
/// | `deeper_queue_length` | | `LLEN deeper_analysis:jobs`, read by this scrape (absent when Redis could not be read) |
/// | `deeper_workers_live` | | workers with a live heartbeat, read by this scrape (absent when Redis could not be read) |
/// | `deeper_redis_up` | | 1 when this scrape reached Redis, else 0 |
/// | `deeper_http_connections_open` | | HTTP and WebSocket connections open now |
/// | `deeper_job_events_total` | status | status changes seen on `deeper_analysis:events` |
/// | `deeper_websocket_clients` | | WebSockets connected at the last scrape |
/// | `deeper_live_websocket_clients` | | of those, the ones that asked for live updates |
/// | `deeper_live_updates_total` | | reads of changed live rows handed to the live WebSockets |
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
    private let webSocketClients: CoreMetrics.Gauge
    private let liveWebSocketClients: CoreMetrics.Gauge
    private let liveUpdates: CoreMetrics.Counter

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // The API answers in well under a millisecond; the default buckets start at 5 ms.
        factory.durationHistogramBuckets["deeper_http_request_duration_seconds"] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        webSocketClients = Gauge(label: "deeper_websocket_clients", factory: factory)
        liveWebSocketClients = Gauge(label: "deeper_live_websocket_clients", factory: factory)
        liveUpdates = Counter(label: "deeper_live_updates_total", factory: factory)
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

    /// Counts one batch of changed live rows handed to the live WebSockets.
    func countLiveUpdate() { liveUpdates.increment() }

    /// Sets the gauges the server knows without Redis.
    func recordScrape(webSocketClients clients: Int, liveWebSocketClients liveClients: Int) {
        webSocketClients.record(clients)
        liveWebSocketClients.record(liveClients)
    }

    /// Every metric in the Prometheus text format, with the gauges read from Redis by this
    /// scrape. A gauge that could not be read is left out rather than shown as 0 or as an old
    /// value: an alert on `deeper_queue_length` must not see an empty queue during an outage.
    func prometheusText(redisUp: Bool, queueLength: Int?, workers: Int?, openConnections: Int) -> [UInt8] {
        var out = registry.emitToBuffer()
        func gauge(_ name: String, _ help: String, _ value: Int?) {
            guard let value else { return }
            out.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n".utf8)
        }
        gauge("deeper_redis_up", "1 when this scrape reached Redis.", redisUp ? 1 : 0)
        gauge("deeper_queue_length", "Jobs waiting in deeper_analysis:jobs.", queueLength)
        gauge("deeper_workers_live", "Workers with a live heartbeat.", workers)
        gauge("deeper_http_connections_open", "HTTP and WebSocket connections open.", openConnections)
        return out
    }
}
