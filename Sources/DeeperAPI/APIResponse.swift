import DeeperData
import DeeperRedis
import Hummingbird
import NIOCore
import NIOPosix

/// The JSON responses every route shares.
enum APIResponse {
    /// `text` as an `application/json` response.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        response(ByteBuffer(string: text), status: status)
    }

    /// Bytes that already are JSON (a stored result), as an `application/json` response.
    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        response(ByteBuffer(bytes: bytes), status: status)
    }

    private static func response(_ body: ByteBuffer, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// `{"success":false,"error":message}` plus `extra` members (JSON texts).
    static func failure(
        _ status: HTTPResponse.Status, _ message: String, extra: KeyValuePairs<String, String> = [:]
    ) -> Response {
        json(failureJSON(message, extra: extra), status: status)
    }

    /// The text of ``failure(_:_:extra:)``'s body.
    static func failureJSON(_ message: String, extra: KeyValuePairs<String, String> = [:]) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("success")
        w.bool(false)
        w.field("error", message)
        for (key, value) in extra {
            w.key(key)
            w.raw(value)
        }
        w.endObject()
        return w.text
    }

    /// 404 for a job id with no status (never queued, or expired after an hour).
    static func notFound(_ jobID: String) -> Response {
        failure(.notFound, "Job \(jobID) not found (unknown, or expired)")
    }

    /// 503 for every Redis failure: unreachable, stopping, or answering with an error
    /// (`NOAUTH`, `WRONGPASS`, `OOM`, `LOADING`…). The client cannot fix any of them by
    /// changing its request; the message says which it was.
    static func unavailable(_ error: any Error, extra: KeyValuePairs<String, String> = [:]) -> Response {
        failure(.serviceUnavailable, unavailableMessage(error), extra: extra)
    }

    /// `Redis unavailable: 127.0.0.1:6379: Connection refused`, and the like.
    static func unavailableMessage(_ error: any Error) -> String {
        switch error {
        case RedisError.connection(let message): "Redis unavailable: \(message)"
        case RedisError.protocol(let message): "Redis unavailable: \(message)"
        case RedisError.server(let message): "Redis error: \(message)"
        case is NIOThreadPoolError.ThreadPoolInactive: "Redis unavailable: the server is shutting down"
        default: "Redis unavailable: \(error)"
        }
    }

    /// 413 when a body is over `limit` bytes; 400 for any other failure to read it.
    static func tooLarge(_ error: any Error, limit: Int) -> Response {
        let tooLarge = error is NIOTooManyBytesError || (error as? HTTPError)?.status == .contentTooLarge
        if tooLarge {
            return failure(.contentTooLarge, "body: larger than \(limit) bytes (\(limit >> 20) MiB)")
        }
        return failure(.badRequest, "body: could not be read (\(error))")
    }
}

/// JSON text of single values, for splicing into already-serialized JSON.
enum JSONText {
    /// `s` as a JSON string literal, quotes included.
    static func string(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return w.text
    }

    /// Whether `b` is JSON whitespace (RFC 8259: space, tab, LF, CR).
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
