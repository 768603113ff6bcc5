import Hummingbird
import Logging
import NIOCore

/// One access log line per request (`GET /health 200 0.31 ms`) and the request metrics.
///
/// The line is logged when the handler returns its response, so the time is the server's own
/// work, not the client's read of a large body.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let status: Int
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            record(request, context, status: status, since: start)
            return response
        } catch {
            status = Int((error as? any HTTPResponseError)?.status.code ?? 500)
            record(request, context, status: status, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = start.duration(to: .now)
        let nanoseconds = elapsed.whole(.nanoseconds(1))
        // The router names every path it cannot match "NotFound"; keep one label for both.
        let route = context.endpointPath.map { $0 == "NotFound" ? "unmatched" : $0 } ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: status, nanoseconds: nanoseconds)
        let milliseconds = Double(nanoseconds) / 1e6
        logger.info(
            "\(request.method.rawValue) \(request.uri.path) \(status) \(Self.format(milliseconds)) ms")
    }

    /// Two decimals without Foundation's formatter.
    static func format(_ milliseconds: Double) -> String {
        let hundredths = Int((milliseconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
