import Foundation
import Hummingbird

/// Who may use the API, decided from a request's head alone: the bearer token, the origins a
/// browser may write from, and the body types write routes accept.
///
/// * With a ``token``, every `/api/…` route and `/ws` need `Authorization: Bearer <token>`
///   (`/ws` may carry it as `?token=`, since browsers cannot set headers on a WebSocket); else
///   401. `/`, `/health`, `/metrics` and `/openapi.yaml` stay open (the page and the document
///   hold no data; probes and scrapers carry no secrets).
/// * A request with an `Origin` that is neither the server's own (its `Host`) nor one of
///   ``allowedOrigins`` gets 403, the WebSocket upgrade included: a web page open in the
///   trader's browser cannot write through it.
/// * `POST` bodies must be `application/json` (compute, prints) or `text/csv` (prints): 415
///   otherwise, so no HTML form and no `text/plain` "simple request" reaches a write route.
///
/// The same decision guards the routes (``APIAccessMiddleware``) and the WebSocket upgrade
/// (``ConnectionGuard``, which sees the upgrade's head before Hummingbird does).
public struct APIAccess: Sendable {
    /// `API_TOKEN`: nil leaves the API open to whoever reaches the port.
    public var token: String?
    /// `API_ALLOW_ORIGINS` / `--allow-origin`: origins (`https://desk.example:8443`) allowed
    /// besides the server's own, normalized by ``normalizedOrigin(_:)``.
    public var allowedOrigins: Set<String>

    /// Set by the server when it listens on loopback without a token: then a request must
    /// name this machine in `Host` (`localhost`, `127.x.x.x`, `[::1]`) or an allowed origin's
    /// host. A web page whose own name an attacker resolved to 127.0.0.1 (DNS rebinding) is
    /// "same origin" by `Origin` alone; its `Host` gives it away.
    var loopbackHostsOnly = false

    public init(token: String? = nil, allowedOrigins: [String] = []) {
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.allowedOrigins = Set(allowedOrigins.compactMap(Self.normalizedOrigin))
    }

    /// The parts of a request head the decision reads.
    struct Head: Sendable {
        var method: String
        var path: String
        var query: String?
        /// `Host` (HTTP/1.1), the request's authority.
        var host: String?
        var origin: String?
        var authorization: String?
        var contentType: String?
        /// Whether a body follows (a `Content-Length` above 0, or a transfer coding).
        var hasBody: Bool
    }

    enum Decision: Equatable, Sendable {
        /// Go on; `corsOrigin` is an allowed foreign origin to name in the response.
        case allow(corsOrigin: String?)
        /// A CORS preflight from an allowed origin: answer it with 204 and the CORS headers.
        case preflight(origin: String)
        case deny(status: HTTPResponse.Status, reason: String)
    }

    /// The path's segments, percent-decoded, empty ones dropped: `/%61pi//prints/` and
    /// `/api/prints` are one route to the decision, whatever the router makes of them.
    static func segments(_ path: String) -> [Substring] {
        (path.removingPercentEncoding ?? path).split(separator: "/")
    }

    /// Routes that never need the token nor a same-origin request.
    static func isOpen(_ segments: [Substring]) -> Bool {
        segments == ["health"] || segments == ["metrics"] || segments == ["openapi.yaml"]
    }

    /// Routes that need the token when one is set: everything under `/api`, and `/ws`.
    static func needsToken(_ segments: [Substring]) -> Bool { segments.first == "api" || segments == ["ws"] }

    func decide(_ head: Head) -> Decision {
        let segments = Self.segments(head.path)
        if Self.isOpen(segments) { return .allow(corsOrigin: nil) }

        if loopbackHostsOnly, let host = head.host, !isLocalHost(host) {
            return .deny(
                status: .forbidden,
                reason: "Host \(Self.quoted(host)) is not this server: without API_TOKEN it answers only to localhost, 127.0.0.1 and [::1] (or an --allow-origin host)")
        }
        var corsOrigin: String?
        if let origin = head.origin {
            guard let normalized = Self.normalizedOrigin(origin) else {
                return .deny(status: .forbidden, reason: "Origin \(Self.quoted(origin)) is not allowed")
            }
            // Browsers send the page's http(s) origin (or "null"); a ws(s) origin comes from a
            // WebSocket client that is not a browser, which could send any Origin it liked:
            // the check has nothing to protect there (the token still applies).
            let nonBrowser = normalized.hasPrefix("ws://") || normalized.hasPrefix("wss://")
            let own = head.host.map { Self.authority(ofOrigin: normalized) == $0.lowercased() } ?? false
            if !own && !nonBrowser {
                guard allowedOrigins.contains(normalized) else {
                    return .deny(
                        status: .forbidden,
                        reason: "Origin \(Self.quoted(origin)) is not allowed: requests from other sites are refused (allow one with --allow-origin or API_ALLOW_ORIGINS)")
                }
                corsOrigin = normalized
            }
        }
        // A preflight carries no credentials by design; it only learns what may be sent.
        if head.method == "OPTIONS", let corsOrigin { return .preflight(origin: corsOrigin) }

        if let token, Self.needsToken(segments) {
            let presented = Self.bearer(head.authorization) ?? (segments == ["ws"] ? Self.queryToken(head.query) : nil)
            guard let presented else {
                return .deny(status: .unauthorized, reason: "missing token: send Authorization: Bearer <API_TOKEN>")
            }
            guard Self.constantTimeEqual(presented, token) else {
                return .deny(status: .unauthorized, reason: "wrong token")
            }
        }

        if head.method == "POST" {
            let type = head.contentType.map(Self.mediaType)
            switch segments {
            case ["api", "deeper-analysis", "compute"]:
                // A bodiless POST (`curl -X POST`) queues every symbol; anything sent must be JSON.
                // (A body without a type, which may turn out empty only once read, is the
                // route's to refuse: `ComputeBody`.)
                if let type, type != "application/json" {
                    return .deny(status: .unsupportedMediaType, reason: Self.computeMediaTypeReason)
                }
            default:
                if type != "application/json" && type != "text/csv" {
                    return .deny(status: .unsupportedMediaType, reason: "Content-Type: expected application/json or text/csv")
                }
            }
        }
        return .allow(corsOrigin: corsOrigin)
    }

    static let computeMediaTypeReason = "Content-Type: expected application/json"

    // MARK: - Pieces

    /// Whether a `Host` value names this machine by a loopback name, or an allowed origin.
    func isLocalHost(_ host: String) -> Bool {
        let h = host.lowercased()
        if allowedOrigins.contains(where: { Self.authority(ofOrigin: $0) == h }) { return true }
        let name: Substring
        if h.hasPrefix("[") {
            name = h.prefix(while: { $0 != "]" }) + "]"
        } else {
            name = h.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
        if name == "localhost" || name == "[::1]" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// `scheme://host[:port]`, lower-cased, default ports dropped; nil for anything else
    /// (`null`, paths, userinfo).
    static func normalizedOrigin(_ text: String) -> String? {
        let lower = text.trimmingSpacesAndTabs().lowercased()
        guard let schemeEnd = lower.range(of: "://") else { return nil }
        let scheme = String(lower[..<schemeEnd.lowerBound])
        var authority = String(lower[schemeEnd.upperBound...])
        if authority.hasSuffix("/") { authority.removeLast() }
        // ws and wss: what WebSocket clients that are not browsers send (browsers send the
        // page's http or https origin).
        guard ["http", "https", "ws", "wss"].contains(scheme), !authority.isEmpty,
            !authority.contains(where: { $0 == "/" || $0 == "@" || $0 == "?" || $0 == "#" || $0 == " " })
        else { return nil }
        if scheme == "http" || scheme == "ws", authority.hasSuffix(":80") { authority.removeLast(3) }
        if scheme == "https" || scheme == "wss", authority.hasSuffix(":443") { authority.removeLast(4) }
        return "\(scheme)://\(authority)"
    }

    /// `host[:port]` of a normalized origin, as a `Host` header names it.
    static func authority(ofOrigin origin: String) -> String {
        guard let r = origin.range(of: "://") else { return origin }
        return String(origin[r.upperBound...])
    }

    /// The token of `Bearer <token>` (scheme case-insensitive), nil for anything else.
    static func bearer(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let text = authorization.trimmingSpacesAndTabs()
        guard text.count > 7, text.prefix(7).lowercased() == "bearer " else { return nil }
        let token = String(text.dropFirst(7)).trimmingSpacesAndTabs()
        return token.isEmpty ? nil : token
    }

    /// `token=` of a query string, percent-decoded.
    static func queryToken(_ query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == "token" {
                let raw = String(parts[1]).replacingOccurrences(of: "+", with: " ")
                return raw.removingPercentEncoding ?? raw
            }
        }
        return nil
    }

    /// Compares every byte of `presented` whatever the first difference, so the time taken
    /// tells nothing about how much of a guess was right (only the guess's own length).
    static func constantTimeEqual(_ presented: String, _ expected: String) -> Bool {
        let a = Array(presented.utf8)
        let b = Array(expected.utf8)
        guard !b.isEmpty else { return false }
        var difference = UInt(bitPattern: a.count ^ b.count)
        for i in 0..<a.count {
            difference |= UInt(a[i] ^ b[i % b.count])
        }
        return difference == 0
    }

    /// `application/json` of `Application/JSON; charset=utf-8`.
    static func mediaType(_ contentType: String) -> String {
        (contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "").trimmingSpacesAndTabs().lowercased()
    }

    /// A header value as a reason shows it: quoted, at most 60 characters.
    static func quoted(_ text: String) -> String {
        (text.count > 60 ? String(text.prefix(57)) + "..." : text).debugDescription
    }
}

extension String {
    func trimmingSpacesAndTabs() -> String {
        let utf8 = self.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(decoding: utf8[first...last], as: UTF8.self)
    }
}

/// Applies ``APIAccess`` to every route: 401, 403 and 415 answers with a JSON reason, 204 to
/// the CORS preflight of an allowed origin, and the CORS headers on its answers.
struct APIAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: APIAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let headers = request.headers
        let hasBody =
            headers[.transferEncoding] != nil || (headers[.contentLength].map { $0 != "0" } ?? false)
        let head = APIAccess.Head(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            host: request.head.authority, origin: headers[.origin], authorization: headers[.authorization],
            contentType: headers[.contentType], hasBody: hasBody)
        switch access.decide(head) {
        case .allow(let corsOrigin):
            var response = try await next(request, context)
            if let corsOrigin { Self.addCORS(&response.headers, origin: corsOrigin) }
            return response
        case .preflight(let origin):
            var response = Response(status: .noContent)
            Self.addCORS(&response.headers, origin: origin)
            response.headers[.accessControlAllowMethods] = "GET, POST"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            response.headers[.accessControlMaxAge] = "600"
            return response
        case .deny(let status, let reason):
            var response = APIResponse.failure(status, reason)
            if status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="deeper""# }
            return response
        }
    }

    static func addCORS(_ headers: inout HTTPFields, origin: String) {
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }
}
