import HTTPTypes
import Hummingbird

/// The methods each route of openapi.yaml answers. A request for a known path with another
/// method gets 405 with `Allow` (RFC 9110 §15.5.6) instead of the router's bare 404, which
/// would say the resource does not exist.
enum RouteMethods {
    /// Path patterns as segments (`*` matches one path parameter) and the methods they answer.
    /// HEAD goes wherever GET goes; OPTIONS (CORS preflight) is `APIAccess`'s to answer.
    static let table: [(pattern: [Substring], methods: [HTTPRequest.Method])] = [
        ([], [.get]),
        (["openapi.yaml"], [.get]),
        (["health"], [.get]),
        (["metrics"], [.get]),
        (["ws"], [.get]),
        (["api", "prints"], [.post]),
        (["api", "deeper-analysis", "compute"], [.post]),
        (["api", "deeper-analysis", "status", "*"], [.get]),
        (["api", "deeper-analysis", "result", "*"], [.get]),
        (["api", "deeper-analysis", "live"], [.get]),
        (["api", "deeper-analysis", "live", "*"], [.get]),
    ]

    /// The methods `segments` (a percent-decoded path, as `APIAccess.segments` splits it)
    /// answers; nil for a path no route serves (a 404 stays a 404).
    static func allowed(for segments: [Substring]) -> [HTTPRequest.Method]? {
        table.first { entry in
            entry.pattern.count == segments.count
                && zip(entry.pattern, segments).allSatisfy { pattern, segment in pattern == "*" || pattern == segment }
        }?.methods
    }

    /// Whether `method` is refused on a path that answers `allowed`.
    static func refuses(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> Bool {
        !(allowed.contains(method) || (method == .head && allowed.contains(.get)) || method == .options)
    }
}

/// Answers 405 (with `Allow`) for a known path asked with a method it does not serve.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let segments = APIAccess.segments(request.uri.path)
        guard let allowed = RouteMethods.allowed(for: segments), RouteMethods.refuses(request.method, allowed: allowed)
        else { return try await next(request, context) }
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        var response = APIResponse.failure(
            .methodNotAllowed, "method \(request.method.rawValue) is not allowed on \(request.uri.path) (allowed: \(names))")
        response.headers[.allow] = names
        return response
    }
}
