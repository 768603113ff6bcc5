import Foundation

/// A security setting of `deeper serve` that cannot be used; `description` names it.
public struct APISettingError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The security settings as given on the command line; nil where a flag was not given (then
/// the environment decides).
public struct APISecurityFlags: Sendable {
    public var token: String?
    public var tokenFile: String?
    public var allowOrigins: [String] = []
    public var maxQueue: Int?
    public var headerTimeoutSeconds: Double?
    public var bodyTimeoutSeconds: Double?
    public var idleTimeoutSeconds: Double?
    public var maxConnections: Int?

    public init() {}
}

extension APIConfiguration {
    /// Applies `API_TOKEN` / `API_TOKEN_FILE`, `API_ALLOW_ORIGINS` (comma-separated),
    /// `MAX_QUEUE`, `API_HEADER_TIMEOUT`, `API_BODY_TIMEOUT`, `API_IDLE_TIMEOUT` (seconds) and
    /// `API_MAX_CONNECTIONS`, each overridden by its flag.
    public mutating func applySecurity(_ flags: APISecurityFlags, environment env: [String: String]) throws(APISettingError) {
        let token = try Self.token(flag: flags.token, fileFlag: flags.tokenFile, environment: env)
        var origins = flags.allowOrigins
        if origins.isEmpty, let text = env["API_ALLOW_ORIGINS"] {
            origins = text.split(separator: ",").map { String($0).trimmingSpacesAndTabs() }.filter { !$0.isEmpty }
        }
        for origin in origins where APIAccess.normalizedOrigin(origin) == nil {
            throw APISettingError(description: "allowed origin \(APIAccess.quoted(origin)) is not scheme://host[:port] (http or https)")
        }
        access = APIAccess(token: token, allowedOrigins: origins)

        maxQueue = try Self.integer(flags.maxQueue, env, "MAX_QUEUE", "--max-queue", default: maxQueue)
        connectionLimits.maxConnections = try Self.integer(
            flags.maxConnections, env, "API_MAX_CONNECTIONS", "--max-connections", default: connectionLimits.maxConnections)
        connectionLimits.headerTimeout = try Self.seconds(
            flags.headerTimeoutSeconds, env, "API_HEADER_TIMEOUT", "--header-timeout", default: connectionLimits.headerTimeout)
        connectionLimits.bodyTimeout = try Self.seconds(
            flags.bodyTimeoutSeconds, env, "API_BODY_TIMEOUT", "--body-timeout", default: connectionLimits.bodyTimeout)
        connectionLimits.idleTimeout = try Self.seconds(
            flags.idleTimeoutSeconds, env, "API_IDLE_TIMEOUT", "--idle-timeout", default: connectionLimits.idleTimeout)
    }

    /// The token from `--api-token`, `--api-token-file`, `API_TOKEN` or `API_TOKEN_FILE`, in
    /// that order; a file's trailing newline is dropped. An empty token is refused: it would
    /// look set and protect nothing.
    static func token(flag: String?, fileFlag: String?, environment env: [String: String]) throws(APISettingError) -> String? {
        let text: String?
        let source: String
        if let flag {
            (text, source) = (flag, "--api-token")
        } else if let path = fileFlag ?? env["API_TOKEN_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            source = fileFlag != nil ? "--api-token-file" : "API_TOKEN_FILE"
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw APISettingError(description: "\(source): cannot read \(path)")
            }
            text = contents
        } else if let value = env["API_TOKEN"] {
            (text, source) = (value, "API_TOKEN")
        } else {
            return nil
        }
        guard let token = text?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw APISettingError(description: "\(source) is empty: give a token, or unset it to run without one")
        }
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw APISettingError(description: "\(source): the token must be visible ASCII without spaces")
        }
        return token
    }

    private static func integer(
        _ flag: Int?, _ env: [String: String], _ variable: String, _ flagName: String, default value: Int
    ) throws(APISettingError) -> Int {
        if let flag {
            guard flag >= 1 else { throw APISettingError(description: "\(flagName) must be at least 1") }
            return flag
        }
        guard let text = env[variable] else { return value }
        guard let n = Int(text.trimmingSpacesAndTabs()), n >= 1 else {
            throw APISettingError(description: "\(variable)=\(APIAccess.quoted(text)) is not a whole number of at least 1")
        }
        return n
    }

    private static func seconds(
        _ flag: Double?, _ env: [String: String], _ variable: String, _ flagName: String, default value: Duration
    ) throws(APISettingError) -> Duration {
        let seconds: Double
        if let flag {
            seconds = flag
        } else if let text = env[variable] {
            guard let s = Double(text.trimmingSpacesAndTabs()) else {
                throw APISettingError(description: "\(variable)=\(APIAccess.quoted(text)) is not a number of seconds")
            }
            seconds = s
        } else {
            return value
        }
        guard seconds.isFinite, seconds >= 0.05, seconds <= 86_400 else {
            throw APISettingError(description: "\(flag != nil ? flagName : variable) must be between 0.05 and 86400 seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
