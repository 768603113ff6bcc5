import DeeperData
import DeeperQueue
import DeeperRedis
import Hummingbird

// MARK: - Routes

extension DeeperAPIServer {
    /// `GET /api/deeper-analysis/live`: every symbol's live row and the meta of the last publish,
    /// in one round trip (`HGETALL` and `GET` pipelined). No live worker: 200 with `meta: null`
    /// and no symbols, since "nothing published" is an answer, not a failure.
    func live() async throws -> Response {
        let replies: [RedisReply]
        do {
            replies = try await pool.withConnection { (c) throws(RedisError) in
                try Self.checked(c.pipeline([["HGETALL", RedisKeys.live], ["GET", RedisKeys.liveMeta]]))
            }
        } catch {
            return APIResponse.unavailable(error)
        }
        var rows: [(symbol: String, row: [UInt8])] = []
        let flat = replies[0].array ?? []
        rows.reserveCapacity(flat.count / 2)
        var k = 0
        while k + 1 < flat.count {
            if let symbol = flat[k].string, let row = flat[k + 1].bytes { rows.append((symbol, row)) }
            k += 2
        }
        rows.sort { $0.symbol < $1.symbol }
        return APIResponse.json(bytes: LiveDocuments.all(meta: replies[1].bytes, rows: rows))
    }

    /// `GET /api/deeper-analysis/live/{symbol}`: the symbol's live row with its prints (the
    /// chart's data) and the meta, in one round trip. 404 when no live row exists for it.
    func liveSymbol(_ symbol: String) async throws -> Response {
        // A symbol SPEC §1.1 refuses cannot have a row.
        guard Self.isValidSymbol(symbol) else { return APIResponse.failure(.notFound, LiveDocuments.noRow(symbol)) }
        let replies: [RedisReply]
        do {
            replies = try await pool.withConnection { (c) throws(RedisError) in
                try Self.checked(
                    c.pipeline([
                        ["HGET", RedisKeys.live, symbol], ["HGET", RedisKeys.livePrints, symbol], ["GET", RedisKeys.liveMeta],
                    ]))
            }
        } catch {
            return APIResponse.unavailable(error)
        }
        guard let row = replies[0].bytes else { return APIResponse.failure(.notFound, LiveDocuments.noRow(symbol)) }
        guard LiveDocuments.isObject(row) else {
            return APIResponse.failure(.internalServerError, "the live row of \(symbol) in Redis is not a JSON object")
        }
        return APIResponse.json(
            bytes: LiveDocuments.one(symbol: symbol, meta: replies[2].bytes, row: row, prints: replies[1].bytes))
    }

    /// The replies, or the first error reply among them thrown: an error (`NOAUTH`, `WRONGTYPE`)
    /// is an outage, never "nothing published".
    static func checked(_ replies: [RedisReply]) throws(RedisError) -> [RedisReply] {
        for reply in replies {
            if case .error(let e) = reply { throw .server(e) }
        }
        return replies
    }

    static func isValidSymbol(_ symbol: String) -> Bool {
        var s = symbol
        return s.withUTF8 { PrintFields.isValidSymbol(UnsafeRawBufferPointer($0)) }
    }
}

// MARK: - Documents

/// The JSON the live routes and the WebSocket send, built around the documents the live worker
/// stored: rows, meta and prints are spliced in byte for byte, never decoded and re-encoded, so
/// the numbers a client sees are exactly the worker's.
///
/// A stored document that is not object-shaped (only a foreign writer could leave one) is never
/// spliced, since it could break the whole answer: a row is listed under `unreadable` instead, a
/// meta or prints document becomes `null`.
enum LiveDocuments {
    /// `{"success":true,"meta":…,"count":N,"symbols":{sym: row, …}[,"unreadable":[…]]}`.
    static func all(meta: [UInt8]?, rows: [(symbol: String, row: [UInt8])]) -> [UInt8] {
        var w = JSONWriter(capacity: rows.reduce(256) { $0 + $1.row.count + $1.symbol.utf8.count + 4 })
        var unreadable: [String] = []
        w.beginObject()
        w.key("success")
        w.bool(true)
        w.key("meta")
        objectOrNull(meta, into: &w)
        w.field("count", rows.count(where: { isObject($0.row) }))
        w.key("symbols")
        w.beginObject()
        for (symbol, row) in rows {
            guard isObject(row) else {
                unreadable.append(symbol)
                continue
            }
            w.key(symbol)
            w.raw(bytes: row)
        }
        w.endObject()
        if !unreadable.isEmpty {
            w.key("unreadable")
            w.beginArray()
            for symbol in unreadable { w.string(symbol) }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    /// `{"success":true,"symbol":…,"meta":…,"result":row,"prints":…}`.
    static func one(symbol: String, meta: [UInt8]?, row: [UInt8], prints: [UInt8]?) -> [UInt8] {
        var w = JSONWriter(capacity: row.count + (prints?.count ?? 0) + (meta?.count ?? 0) + 128)
        w.beginObject()
        w.key("success")
        w.bool(true)
        w.field("symbol", symbol)
        w.key("meta")
        objectOrNull(meta, into: &w)
        w.key("result")
        w.raw(bytes: row)
        w.key("prints")
        objectOrNull(prints, into: &w)
        w.endObject()
        return w.bytes
    }

    /// A WebSocket message: `{"type":"live","as_of":…,"rows":{sym: row, …}}`.
    static func update(asOf: String?, rows: some Sequence<(key: String, value: [UInt8])>) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "live")
        w.field("as_of", asOf)
        w.key("rows")
        w.beginObject()
        for (symbol, row) in rows where isObject(row) {
            w.key(symbol)
            w.raw(bytes: row)
        }
        w.endObject()
        w.endObject()
        return w.text
    }

    /// The WebSocket message that tells a client it may have missed updates (the API's
    /// subscription became live after the client opened: at start, or after Redis was away) and
    /// should read `GET /live` again.
    static let resync = #"{"type":"live_resync"}"#

    static func noRow(_ symbol: String) -> String {
        "no live result for \(JSONText.string(symbol)): unknown symbol, or no live worker is publishing"
    }

    /// Whether `bytes`, blanks aside, start with `{` and end with `}`.
    static func isObject(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.firstIndex(where: { !JSONText.isSpace($0) }),
            let last = bytes.lastIndex(where: { !JSONText.isSpace($0) })
        else {
            return false
        }
        return first < last && bytes[first] == UInt8(ascii: "{") && bytes[last] == UInt8(ascii: "}")
    }

    private static func objectOrNull(_ bytes: [UInt8]?, into w: inout JSONWriter) {
        if let bytes, isObject(bytes) { w.raw(bytes: bytes) } else { w.null() }
    }
}
